//! `POST /api/stripe/webhook`: Stripe's events in. Checks the request's shape, then hands the
//! raw bytes to `app::server::webhooks::ingest`, which verifies before anything is parsed.

use crate::startup::ServerState;
use app::server::webhooks::{ingest, IngestError, Ingested};
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// Stripe's events are a few KiB; the largest real ones stay far below this.
pub const WEBHOOK_BODY_LIMIT: usize = 256 * 1024;
pub const WEBHOOK_PATH: &str = app::server::billing::settings::WEBHOOK_PATH;

pub async fn receive(State(state): State<ServerState>, request: Request<Body>) -> Response {
    let (parts, body) = request.into_parts();
    let json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim() == "application/json")
        });
    if !json {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected application/json",
        );
    }
    let declared_too_big = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|n| n > WEBHOOK_BODY_LIMIT);
    if declared_too_big {
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, "body too large");
    }
    let Ok(bytes) = to_bytes(body, WEBHOOK_BODY_LIMIT).await else {
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, "body too large");
    };
    let signature = parts
        .headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    // Secrets are read through the webhook's own pool: a busy main pool never delays them.
    let mut settings = state.app.settings();
    settings.pool = &state.webhook_pool;
    match ingest(
        &settings,
        &state.webhook_secrets,
        &state.inbox,
        signature,
        &bytes,
        now,
    )
    .await
    {
        Ok(Ingested::Stored { id, mode }) => {
            tracing::info!(event = %id, mode = mode.as_str(), "stripe event stored");
            state.events_ready.notify_one();
            Json(serde_json::json!({ "received": true })).into_response()
        }
        Ok(Ingested::Duplicate { id }) => {
            tracing::info!(event = %id, "stripe event already stored");
            Json(serde_json::json!({ "received": true, "duplicate": true })).into_response()
        }
        Err(IngestError::Storage) => refuse(StatusCode::SERVICE_UNAVAILABLE, "try again"),
        // One answer for every signature failure: the caller learns nothing about whether a
        // secret is configured, which secret failed or how far off its clock is.
        Err(IngestError::Signature(reason)) => {
            tracing::warn!(%reason, "stripe event refused");
            refuse(StatusCode::BAD_REQUEST, "signature verification failed")
        }
        Err(e) => {
            tracing::warn!(reason = %e, "stripe event refused");
            refuse(StatusCode::BAD_REQUEST, &e.to_string())
        }
    }
}

fn refuse(status: StatusCode, reason: &str) -> Response {
    (status, Json(serde_json::json!({ "error": reason }))).into_response()
}
