//! Stripe webhooks in: verify the signature on the raw bytes, then store the event in the
//! durable inbox (`stripe_events`). Nothing is applied here; that is the worker's job, so the
//! endpoint answers fast and a crash after the commit loses nothing.

pub mod signature;

use crate::model::StripeMode;
use crate::server::billing::settings::SettingsContext;
use crate::server::db;
use crate::server::error::OrInternal;
use serde::Deserialize;
use signature::SignatureError;

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

/// Verifies `body` against every configured webhook secret (test and live), then stores it
/// once. Secrets come only from configuration, never from the request.
pub async fn ingest(
    settings: &SettingsContext<'_>,
    signature_header: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<Ingested, IngestError> {
    let secrets = settings
        .webhook_secrets()
        .await
        .map_err(|_| IngestError::Storage)?;
    let refs: Vec<_> = secrets.iter().map(|(_, secret)| secret).collect();
    let index = signature::verify(signature_header, body, &refs, now)?;
    let mode = secrets[index].0;
    // Parsed once: the head is read out of the same value that is stored.
    let payload: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| IngestError::Malformed)?;
    let event = EventHead::deserialize(&payload).map_err(|_| IngestError::Malformed)?;
    if !event.id.starts_with("evt_") {
        return Err(IngestError::Malformed);
    }
    if event.livemode != (mode == StripeMode::Live) {
        return Err(IngestError::WrongMode);
    }
    let inserted = db::events::insert(
        settings.pool,
        &db::events::NewEvent {
            id: &event.id,
            mode: mode.as_str(),
            type_: &event.type_,
            object_id: event.data.object.id.as_deref(),
            api_version: event.api_version.as_deref(),
            created: event.created,
            payload: &payload,
        },
    )
    .await
    .or_internal("store webhook event")
    .map_err(|_| IngestError::Storage)?;
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
