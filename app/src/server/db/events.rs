//! The Stripe event inbox.

use crate::model::EventSummary;
use sqlx::PgExecutor;

pub struct NewEvent<'a> {
    pub id: &'a str,
    pub mode: &'a str,
    pub type_: &'a str,
    pub object_id: Option<&'a str>,
    pub api_version: Option<&'a str>,
    /// Stripe's `created`, unix seconds.
    pub created: i64,
    pub payload: &'a serde_json::Value,
}

/// Stores an event once; returns false when Stripe delivered it before.
pub async fn insert(db: impl PgExecutor<'_>, e: &NewEvent<'_>) -> Result<bool, sqlx::Error> {
    let result = sqlx::query!(
        "INSERT INTO stripe_events (id, mode, type, object_id, api_version, created, payload)
         VALUES ($1, $2, $3, $4, $5, to_timestamp($6::bigint), $7)
         ON CONFLICT (id) DO NOTHING",
        e.id,
        e.mode,
        e.type_,
        e.object_id,
        e.api_version,
        e.created,
        e.payload
    )
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Newest first, filtered by status and type prefix (empty: all), `limit` rows.
pub async fn list(
    db: impl PgExecutor<'_>,
    mode: &str,
    status: &str,
    type_prefix: &str,
    limit: i64,
) -> Result<Vec<EventSummary>, sqlx::Error> {
    sqlx::query_as!(
        EventSummary,
        r#"SELECT id, type AS type_, object_id, status, attempts, last_error,
                  created AS "created: chrono::DateTime<chrono::Utc>",
                  received_at AS "received_at: chrono::DateTime<chrono::Utc>",
                  processed_at AS "processed_at: chrono::DateTime<chrono::Utc>"
           FROM stripe_events
           WHERE mode = $1 AND ($2 = '' OR status = $2) AND type LIKE $3 || '%'
           ORDER BY received_at DESC, id DESC
           LIMIT $4"#,
        mode,
        status,
        type_prefix.replace('%', "\\%").replace('_', "\\_"),
        limit
    )
    .fetch_all(db)
    .await
}

pub async fn payload(
    db: impl PgExecutor<'_>,
    id: &str,
) -> Result<Option<serde_json::Value>, sqlx::Error> {
    sqlx::query_scalar!("SELECT payload FROM stripe_events WHERE id = $1", id)
        .fetch_optional(db)
        .await
}
