//! Admin > Webhook events: what Stripe sent, as stored in the inbox.

use crate::model::{AppError, EventSummary, ObjectComparison};
use leptos::prelude::*;

/// At most this many events per page of the list.
pub const EVENTS_PAGE: i64 = 100;

#[server(prefix = "/rpc", endpoint = "events/list")]
pub async fn list_events(
    #[server(default)] status: String,
    #[server(default)] search: String,
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
            db::events::list(&state.pool, &mode, &status, search.trim(), EVENTS_PAGE)
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
            crate::server::webhooks::redact_secrets(&mut payload);
            serde_json::to_string_pretty(&payload).or_internal("format stripe event")
        }
        .await,
    )
}

/// Queues events to be applied again; returns how many were found.
#[server(prefix = "/rpc", endpoint = "events/replay")]
pub async fn replay_events(ids: Vec<String>) -> Result<u64, AppError> {
    use crate::server::billing::events;
    use crate::server::context;
    use crate::server::db::audit::Actor;
    context::respond(
        async move {
            let (admin, state) = context::require_admin().await?;
            events::replay(&state.pool, &Actor::from(&admin), &ids).await
        }
        .await,
    )
}

/// The event's object as Paydesk stores it next to Stripe's current one.
#[server(prefix = "/rpc", endpoint = "events/compare")]
pub async fn compare_with_stripe(id: String) -> Result<ObjectComparison, AppError> {
    use crate::server::billing::events::reconcile::compare_event_object;
    use crate::server::context;
    context::respond(
        async move {
            let (_, state) = context::require_admin().await?;
            compare_event_object(&state.settings(), &id).await
        }
        .await,
    )
}
