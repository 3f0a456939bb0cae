use crate::startup::ServerState;
use axum::extract::State;
use axum::http::StatusCode;
use std::time::Duration;

/// 200 when the database answers within two seconds, 503 otherwise.
pub async fn healthz(State(state): State<ServerState>) -> (StatusCode, &'static str) {
    let ping = sqlx::query_scalar!("SELECT 1 AS \"one!\"").fetch_one(&state.app.pool);
    match tokio::time::timeout(Duration::from_secs(2), ping).await {
        Ok(Ok(_)) => (StatusCode::OK, "ok"),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: database error");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}
