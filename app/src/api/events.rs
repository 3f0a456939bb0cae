//! Admin > Webhook events: what Stripe sent, as stored in the inbox.

use crate::model::{AppError, EventSummary};
use leptos::prelude::*;

/// At most this many events per page of the list.
pub const EVENTS_PAGE: i64 = 100;

#[server(prefix = "/rpc", endpoint = "events/list")]
pub async fn list_events(
    #[server(default)] status: String,
    #[server(default)] type_prefix: String,
) -> Result<Vec<EventSummary>, AppError> {
    use crate::model::EVENT_STATUSES;
    use crate::server::error::OrInternal;
    use crate::server::{context, db};
    context::respond(
        async move {
            let (_, state) = context::require_admin().await?;
            if !status.is_empty() && !EVENT_STATUSES.contains(&status.as_str()) {
                return Err(AppError::validation("status", "Unknown status."));
            }
            let mode = state.mode().await?;
            db::events::list(&state.pool, &mode, &status, type_prefix.trim(), EVENTS_PAGE)
                .await
                .or_internal("list stripe events")
        }
        .await,
    )
}

/// One event's payload, pretty-printed, with any field named like a secret blanked.
#[server(prefix = "/rpc", endpoint = "events/payload")]
pub async fn get_event_payload(id: String) -> Result<String, AppError> {
    use crate::server::error::OrInternal;
    use crate::server::{context, db};
    context::respond(
        async move {
            let (_, state) = context::require_admin().await?;
            let mut payload = db::events::payload(&state.pool, &id)
                .await
                .or_internal("load stripe event")?
                .ok_or(AppError::NotFound)?;
            redact_secrets(&mut payload);
            serde_json::to_string_pretty(&payload).or_internal("format stripe event")
        }
        .await,
    )
}

/// Stripe events carry no API keys, but an endpoint or a client secret can appear in some
/// objects; the console never shows them.
#[cfg(feature = "ssr")]
fn redact_secrets(value: &mut serde_json::Value) {
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

#[cfg(all(test, feature = "ssr"))]
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
