//! The Stripe event inbox.

use crate::model::EventSummary;
use crate::server::billing::events::{Finished, InboxEvent};
use crate::server::webhooks::inbox::InboxRow;
use sqlx::{PgConnection, PgExecutor};

/// Stores a batch of events in one statement; returns the IDs that were new. Payloads are
/// cast to jsonb by Postgres, from the bytes as Stripe sent them.
pub async fn insert_many(
    db: impl PgExecutor<'_>,
    rows: &[&InboxRow],
) -> Result<Vec<String>, sqlx::Error> {
    let text = |f: fn(&InboxRow) -> &str| rows.iter().map(|r| f(r)).collect::<Vec<&str>>();
    let optional =
        |f: fn(&InboxRow) -> Option<&str>| rows.iter().map(|r| f(r)).collect::<Vec<Option<&str>>>();
    let created: Vec<i64> = rows.iter().map(|r| r.created).collect();
    sqlx::query_scalar!(
        r#"INSERT INTO stripe_events (id, mode, type, object_id, api_version, created, payload)
           SELECT t.id, t.mode, t.type, t.object_id, t.api_version, to_timestamp(t.created),
                  t.payload::jsonb
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                       $6::bigint[], $7::text[])
                AS t(id, mode, type, object_id, api_version, created, payload)
           ON CONFLICT (id) DO NOTHING
           RETURNING id"#,
        &text(|r| &r.id) as &[&str],
        &text(|r| &r.mode) as &[&str],
        &text(|r| &r.type_) as &[&str],
        &optional(|r| r.object_id.as_deref()) as &[Option<&str>],
        &optional(|r| r.api_version.as_deref()) as &[Option<&str>],
        &created,
        &text(|r| &r.payload) as &[&str],
    )
    .fetch_all(db)
    .await
}

/// Newest first, filtered by status and by a search that matches a type prefix, an event
/// ID or an object ID (empty: all), `limit` rows.
pub async fn list(
    db: impl PgExecutor<'_>,
    mode: &str,
    status: &str,
    search: &str,
    limit: i64,
) -> Result<Vec<EventSummary>, sqlx::Error> {
    sqlx::query_as!(
        EventSummary,
        r#"SELECT id, type AS type_, object_id, status, attempts, last_error, processing_ms,
                  created AS "created: chrono::DateTime<chrono::Utc>",
                  received_at AS "received_at: chrono::DateTime<chrono::Utc>",
                  processed_at AS "processed_at: chrono::DateTime<chrono::Utc>"
           FROM stripe_events
           WHERE mode = $1 AND ($2 = '' OR status = $2)
                 AND (type LIKE $3 || '%' OR id = $4 OR object_id = $4)
           ORDER BY received_at DESC, id DESC
           LIMIT $5"#,
        mode,
        status,
        super::invoices::escape_like(search),
        search,
        limit
    )
    .fetch_all(db)
    .await
}

/// The newest events about any of these objects.
pub async fn about(
    db: impl PgExecutor<'_>,
    mode: &str,
    object_ids: &[String],
    limit: i64,
) -> Result<Vec<EventSummary>, sqlx::Error> {
    sqlx::query_as!(
        EventSummary,
        r#"SELECT id, type AS type_, object_id, status, attempts, last_error, processing_ms,
                  created AS "created: chrono::DateTime<chrono::Utc>",
                  received_at AS "received_at: chrono::DateTime<chrono::Utc>",
                  processed_at AS "processed_at: chrono::DateTime<chrono::Utc>"
           FROM stripe_events
           WHERE object_id = ANY($2) AND mode = $1
           ORDER BY created DESC, id DESC
           LIMIT $3"#,
        mode,
        object_ids,
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

/// Takes due events for this transaction; rows another worker holds are skipped, not waited
/// for.
pub async fn claim_due(db: &mut PgConnection, limit: i64) -> Result<Vec<InboxEvent>, sqlx::Error> {
    sqlx::query_as!(
        InboxEvent,
        r#"SELECT id, mode, type AS type_, extract(epoch FROM created)::bigint AS "created!",
                  payload, attempts
           FROM stripe_events
           WHERE status = 'pending' AND next_attempt_at <= now()
           ORDER BY next_attempt_at
           LIMIT $1
           FOR UPDATE SKIP LOCKED"#,
        limit
    )
    .fetch_all(db)
    .await
}

/// Takes the transaction-scoped advisory lock of every key, in one global order (by lock
/// id), so two transactions locking overlapping sets never wait on each other in a cycle.
pub async fn lock_objects(
    db: &mut PgConnection,
    keys: &mut Vec<String>,
) -> Result<(), sqlx::Error> {
    keys.sort_unstable();
    keys.dedup();
    sqlx::query!(
        "SELECT count(pg_advisory_xact_lock(h)) FROM (
             SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest($1::text[]) AS k ORDER BY h
         ) ordered",
        &keys[..]
    )
    .fetch_one(db)
    .await
    .map(drop)
}

/// Records how each attempt ended, in one statement for the whole batch.
pub async fn finish(db: &mut PgConnection, finished: &[Finished]) -> Result<(), sqlx::Error> {
    let ids: Vec<&str> = finished.iter().map(|f| f.id.as_str()).collect();
    let statuses: Vec<&str> = finished.iter().map(|f| f.status).collect();
    let errors: Vec<Option<String>> = finished.iter().map(|f| f.last_error.clone()).collect();
    let millis: Vec<i32> = finished.iter().map(|f| f.processing_ms).collect();
    let retry: Vec<f64> = finished.iter().map(|f| f.retry_in).collect();
    sqlx::query!(
        "UPDATE stripe_events e
         SET status = r.status, attempts = e.attempts + 1, last_error = r.last_error,
             processing_ms = r.ms,
             processed_at = CASE WHEN r.status IN ('processed', 'ignored') THEN now() END,
             next_attempt_at = now() + make_interval(secs => r.retry_in)
         FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::float8[])
              AS r(id, status, last_error, ms, retry_in)
         WHERE e.id = r.id",
        &ids[..] as &[&str],
        &statuses[..] as &[&str],
        &errors[..] as &[Option<String>],
        &millis[..],
        &retry[..]
    )
    .execute(db)
    .await
    .map(drop)
}

/// Puts events back in the queue as if just received; returns how many.
pub async fn replay(db: impl PgExecutor<'_>, ids: &[String]) -> Result<u64, sqlx::Error> {
    sqlx::query!(
        "UPDATE stripe_events
         SET status = 'pending', attempts = 0, next_attempt_at = now(), last_error = NULL,
             processed_at = NULL, processing_ms = NULL
         WHERE id = ANY($1)",
        ids
    )
    .execute(db)
    .await
    .map(|r| r.rows_affected())
}

/// Queues every failed event again; returns how many.
pub async fn replay_failed(db: impl PgExecutor<'_>) -> Result<u64, sqlx::Error> {
    sqlx::query!(
        "UPDATE stripe_events
         SET status = 'pending', attempts = 0, next_attempt_at = now(), last_error = NULL,
             processed_at = NULL, processing_ms = NULL
         WHERE status = 'failed'"
    )
    .execute(db)
    .await
    .map(|r| r.rows_affected())
}

pub async fn mode_and_payload(
    db: impl PgExecutor<'_>,
    id: &str,
) -> Result<Option<(String, serde_json::Value)>, sqlx::Error> {
    let row = sqlx::query!("SELECT mode, payload FROM stripe_events WHERE id = $1", id)
        .fetch_optional(db)
        .await?;
    Ok(row.map(|r| (r.mode, r.payload)))
}
