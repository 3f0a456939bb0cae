//! Stripe webhooks in: verify the signature on the raw bytes, then store the event in the
//! durable inbox (`stripe_events`). Nothing is applied here; that is the worker's job, so the
//! endpoint answers fast and a crash after the commit loses nothing.

pub mod inbox;
pub mod signature;

use crate::model::StripeMode;
use crate::server::billing::settings::SettingsContext;
use inbox::{InboxRow, InboxWriter};
use secrecy::SecretString;
use serde::Deserialize;
use signature::SignatureError;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Signature(#[from] SignatureError),
    #[error("the payload is not a Stripe event")]
    Malformed,
    #[error("the event's livemode does not match the secret that signed it")]
    WrongMode,
    #[error("could not store the event")]
    Storage,
}

/// The few fields the inbox indexes; the whole payload is stored as sent.
#[derive(Debug, Deserialize)]
struct EventHead {
    id: String,
    #[serde(rename = "type")]
    type_: String,
    livemode: bool,
    created: i64,
    api_version: Option<String>,
    data: EventData,
}

#[derive(Debug, Deserialize)]
struct EventData {
    object: EventObject,
}

#[derive(Debug, Deserialize)]
struct EventObject {
    id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ingested {
    Stored {
        id: String,
        mode: StripeMode,
    },
    /// Seen before: Stripe redelivered it. Nothing changes.
    Duplicate {
        id: String,
    },
}

type Secrets = Arc<Vec<(StripeMode, SecretString)>>;

/// The configured webhook secrets, decrypted, read from the settings at most every few
/// seconds: reading them for every delivery cost a query and a decryption per event. A
/// delivery no cached secret verifies reads them afresh before it is refused, so a secret
/// just saved works at once.
#[derive(Debug, Default)]
pub struct SecretCache {
    current: Mutex<Option<(Instant, Secrets)>>,
}

impl SecretCache {
    const FRESH_FOR: Duration = Duration::from_secs(5);
    /// Mismatches re-read the settings at most this often, so a flood of forged deliveries
    /// does not become a flood of queries.
    const REREAD_AFTER: Duration = Duration::from_secs(1);

    async fn get(
        &self,
        settings: &SettingsContext<'_>,
        older_than: Duration,
    ) -> Result<Secrets, IngestError> {
        if let Ok(current) = self.current.lock() {
            if let Some((read_at, secrets)) = current.as_ref() {
                if read_at.elapsed() < older_than {
                    return Ok(secrets.clone());
                }
            }
        }
        let secrets: Secrets = Arc::new(
            settings
                .webhook_secrets()
                .await
                .map_err(|_| IngestError::Storage)?,
        );
        if let Ok(mut current) = self.current.lock() {
            *current = Some((Instant::now(), secrets.clone()));
        }
        Ok(secrets)
    }
}

/// Verifies `body` against every configured webhook secret (test and live), then stores it
/// once through `inbox`. Secrets come only from configuration, never from the request.
pub async fn ingest(
    settings: &SettingsContext<'_>,
    cache: &SecretCache,
    inbox: &InboxWriter,
    signature_header: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<Ingested, IngestError> {
    let check = |secrets: &Secrets| {
        let refs: Vec<_> = secrets.iter().map(|(_, secret)| secret).collect();
        signature::verify(signature_header, body, &refs, now).map(|i| secrets[i].0)
    };
    let cached = cache.get(settings, SecretCache::FRESH_FOR).await?;
    let mode = match check(&cached) {
        Err(SignatureError::Mismatch | SignatureError::NoSecret) => {
            check(&cache.get(settings, SecretCache::REREAD_AFTER).await?)?
        }
        verified => verified?,
    };
    // Only the head is read here; Postgres stores the verified bytes as they came.
    let payload = std::str::from_utf8(body).map_err(|_| IngestError::Malformed)?;
    let event: EventHead = serde_json::from_str(payload).map_err(|_| IngestError::Malformed)?;
    if !event.id.starts_with("evt_") {
        return Err(IngestError::Malformed);
    }
    if event.livemode != (mode == StripeMode::Live) {
        return Err(IngestError::WrongMode);
    }
    let inserted = inbox
        .insert(InboxRow {
            mode: mode.as_str().to_owned(),
            type_: event.type_,
            object_id: event.data.object.id,
            api_version: event.api_version,
            created: event.created,
            payload: payload.to_owned(),
            id: event.id.clone(),
        })
        .await
        .map_err(|()| IngestError::Storage)?;
    Ok(if inserted {
        Ingested::Stored { id: event.id, mode }
    } else {
        Ingested::Duplicate { id: event.id }
    })
}

/// Stripe events carry no API keys, but an endpoint or a client secret can appear in some
/// objects; the console never shows them.
pub fn redact_secrets(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key.contains("secret") && v.is_string() {
                    *v = serde_json::Value::String("[redacted]".into());
                } else {
                    redact_secrets(v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_secrets),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::redact_secrets;

    #[test]
    fn secrets_anywhere_in_a_payload_are_blanked() {
        let mut v = serde_json::json!({
            "data": {"object": {"client_secret": "pi_1_secret_x", "items": [{"secret": "whsec_1"}], "id": "pi_1"}}
        });
        redact_secrets(&mut v);
        let text = v.to_string();
        assert!(!text.contains("pi_1_secret_x") && !text.contains("whsec_1"));
        assert!(text.contains("\"id\":\"pi_1\""));
    }
}
