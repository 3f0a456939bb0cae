//! The Stripe event inbox.

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
