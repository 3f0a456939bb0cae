//! Stripe's webhook signature scheme, checked on the raw bytes before anything is parsed.
//!
//! `Stripe-Signature: t=<unix time>,v1=<hex hmac>[,v1=...][,v0=...]`, where each v1 is
//! HMAC-SHA256 over `"{t}.{body}"` keyed by an endpoint secret. During a secret roll Stripe sends
//! one v1 per live secret, so every v1 is tried against every configured secret.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// How far the signed time may be from ours, as Stripe's own libraries allow.
pub const TOLERANCE_SECONDS: i64 = 300;
/// Real headers are well under 1 KiB even during a roll; anything huge is refused unread.
pub const MAX_HEADER_BYTES: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing Stripe-Signature header")]
    Missing,
    #[error("Stripe-Signature header too large")]
    TooLarge,
    #[error("Stripe-Signature header has no timestamp")]
    NoTimestamp,
    #[error("Stripe-Signature header has no v1 signature")]
    NoV1,
    #[error("timestamp outside the tolerance")]
    Stale,
    #[error("no signature matches")]
    Mismatch,
    #[error("no webhook secret is configured")]
    NoSecret,
}

struct Header<'a> {
    timestamp: i64,
    v1: Vec<&'a str>,
}

fn parse(header: &str) -> Result<Header<'_>, SignatureError> {
    if header.len() > MAX_HEADER_BYTES {
        return Err(SignatureError::TooLarge);
    }
    let mut timestamp = None;
    let mut v1 = Vec::new();
    for item in header.split(',') {
        let Some((key, value)) = item.trim().split_once('=') else {
            continue;
        };
        match key {
            "t" => timestamp = value.parse::<i64>().ok(),
            "v1" => v1.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::NoTimestamp)?;
    if v1.is_empty() {
        return Err(SignatureError::NoV1);
    }
    Ok(Header { timestamp, v1 })
}

/// Checks `header` against `body` with each secret; returns the index of the secret that
/// signed it. Comparisons are constant-time.
pub fn verify(
    header: Option<&str>,
    body: &[u8],
    secrets: &[&SecretString],
    now: i64,
) -> Result<usize, SignatureError> {
    let header = parse(header.ok_or(SignatureError::Missing)?)?;
    if secrets.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    // Checked: a `t` near i64::MIN or MAX would overflow the subtraction (a panic in debug
    // builds, a wrapped "fresh" timestamp in release).
    let skew = now.checked_sub(header.timestamp).and_then(i64::checked_abs);
    if skew.is_none_or(|skew| skew > TOLERANCE_SECONDS) {
        return Err(SignatureError::Stale);
    }
    let signatures: Vec<Vec<u8>> = header
        .v1
        .iter()
        .filter_map(|sig| hex::decode(sig).ok())
        .collect();
    for (index, secret) in secrets.iter().enumerate() {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes()) else {
            continue;
        };
        mac.update(header.timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        if signatures
            .iter()
            .any(|sig| mac.clone().verify_slice(sig).is_ok())
        {
            return Ok(index);
        }
    }
    Err(SignatureError::Mismatch)
}

/// Signs like Stripe does; for tests and for tools that replay events.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;
    const BODY: &[u8] = br#"{"id":"evt_1","object":"event"}"#;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_owned())
    }

    fn check(header: &str, body: &[u8], secrets: &[&str]) -> Result<usize, SignatureError> {
        let owned: Vec<SecretString> = secrets.iter().map(|s| secret(s)).collect();
        let refs: Vec<&SecretString> = owned.iter().collect();
        verify(Some(header), body, &refs, NOW)
    }

    /// Header, body, configured secrets, expected outcome.
    type Case = (
        String,
        &'static [u8],
        Vec<&'static str>,
        Result<usize, SignatureError>,
    );

    #[test]
    fn extreme_timestamps_are_stale_not_a_panic() {
        for t in [i64::MIN, i64::MIN + 1, i64::MAX, -1] {
            let header = format!("t={t},v1={}", sign("whsec_a", t, BODY));
            assert_eq!(
                check(&header, BODY, &["whsec_a"]),
                Err(SignatureError::Stale),
                "{t}"
            );
        }
    }

    #[test]
    fn the_official_sdks_cases_answer_as_they_do() {
        let good = sign("whsec_a", NOW, BODY);
        let other = sign("whsec_b", NOW, BODY);
        let junk = "5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd";
        use SignatureError::*;
        let cases: Vec<Case> = vec![
            (format!("t={NOW},v1={good}"), BODY, vec!["whsec_a"], Ok(0)),
            (String::new(), BODY, vec!["whsec_a"], Err(NoTimestamp)),
            ("garbage".into(), BODY, vec!["whsec_a"], Err(NoTimestamp)),
            (
                format!("t={NOW},v0={good}"),
                BODY,
                vec!["whsec_a"],
                Err(NoV1),
            ),
            (
                format!("t={NOW},v1={junk}"),
                BODY,
                vec!["whsec_a"],
                Err(Mismatch),
            ),
            (
                format!("t={NOW},v1={good},v1={junk}"),
                BODY,
                vec!["whsec_a"],
                Ok(0),
            ),
            (
                format!("t={NOW},v1={junk},v1={good},v1={junk}"),
                BODY,
                vec!["whsec_a"],
                Ok(0),
            ),
            (
                format!("t={NOW},v1={junk},v1={good}"),
                BODY,
                vec!["whsec_a"],
                Ok(0),
            ),
            (
                format!("t={NOW},v1=not-hex,v1={good}"),
                BODY,
                vec!["whsec_a"],
                Ok(0),
            ),
            // A roll: two v1, two secrets; either secret alone is enough.
            (
                format!("t={NOW},v1={other},v1={good}"),
                BODY,
                vec!["whsec_b"],
                Ok(0),
            ),
            (
                format!("t={NOW},v1={other}"),
                BODY,
                vec!["whsec_a", "whsec_b"],
                Ok(1),
            ),
            (
                format!("t={},v1={}", NOW - 301, sign("whsec_a", NOW - 301, BODY)),
                BODY,
                vec!["whsec_a"],
                Err(Stale),
            ),
            (
                format!("t={},v1={}", NOW - 300, sign("whsec_a", NOW - 300, BODY)),
                BODY,
                vec!["whsec_a"],
                Ok(0),
            ),
            (
                format!("t={},v1={}", NOW + 301, sign("whsec_a", NOW + 301, BODY)),
                BODY,
                vec!["whsec_a"],
                Err(Stale),
            ),
            (
                format!("t={NOW},v1={good}"),
                br#"{"id":"evt_2","object":"event"}"#,
                vec!["whsec_a"],
                Err(Mismatch),
            ),
            (
                format!("t={NOW},v1={good}"),
                br#"{"id": "evt_1", "object": "event"}"#,
                vec!["whsec_a"],
                Err(Mismatch),
            ),
            (format!("t={NOW},v1={good}"), BODY, vec![], Err(NoSecret)),
            (
                format!("t={NOW},v1={}", "a".repeat(MAX_HEADER_BYTES)),
                BODY,
                vec!["whsec_a"],
                Err(TooLarge),
            ),
        ];
        for (header, body, secrets, expected) in cases {
            assert_eq!(check(&header, body, &secrets), expected, "{header:.80}");
        }
    }

    #[test]
    fn a_missing_header_is_refused() {
        let s = secret("whsec_a");
        assert_eq!(verify(None, BODY, &[&s], NOW), Err(SignatureError::Missing));
    }
}
