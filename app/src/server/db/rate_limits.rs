//! Counters behind the abuse limits (`server::limits`). Each `take_*` is one statement that
//! records a hit and decides whether it is allowed: concurrent callers queue on the row's lock,
//! and each sees the count the one before it left.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// A hit in a fixed window: allowed while fewer than `limit` were allowed since the window
/// began; a hit after the window starts a new one. A refused hit is not counted. Returns the
/// count including this hit, or `None` when refused.
pub async fn take_window(
    db: impl PgExecutor<'_>,
    scope: &str,
    key: &str,
    limit: i32,
    window_secs: f64,
) -> Result<Option<i32>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"INSERT INTO rate_limits AS r (scope, key, hits, window_start, last_hit_at)
           VALUES ($1, $2, 1, now(), now())
           ON CONFLICT (scope, key) DO UPDATE SET
             hits = CASE WHEN r.window_start <= now() - make_interval(secs => $4)
                         THEN 1 ELSE r.hits + 1 END,
             window_start = CASE WHEN r.window_start <= now() - make_interval(secs => $4)
                                 THEN now() ELSE r.window_start END,
             last_hit_at = now()
           WHERE r.window_start <= now() - make_interval(secs => $4) OR r.hits < $3
           RETURNING hits AS "hits!""#,
        scope,
        key,
        limit,
        window_secs,
    )
    .fetch_optional(db)
    .await
}

/// A hit under exponential backoff: the first `free` hits are allowed at once; after that a
/// hit must come `first_delay * 2^(hits - free)` seconds (at most `max_delay`) after the last
/// allowed one. A quiet spell of `memory` seconds forgets the count. Returns the count
/// including this hit, or `None` when refused (and not counted).
pub async fn take_backoff(
    db: impl PgExecutor<'_>,
    scope: &str,
    key: &str,
    backoff: Backoff,
) -> Result<Option<i32>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"INSERT INTO rate_limits AS r (scope, key, hits, window_start, last_hit_at)
           VALUES ($1, $2, 1, now(), now())
           ON CONFLICT (scope, key) DO UPDATE SET
             hits = CASE WHEN r.last_hit_at <= now() - make_interval(secs => $6)
                         THEN 1 ELSE r.hits + 1 END,
             window_start = CASE WHEN r.last_hit_at <= now() - make_interval(secs => $6)
                                 THEN now() ELSE r.window_start END,
             last_hit_at = now()
           WHERE r.last_hit_at <= now() - make_interval(secs => $6)
              OR r.hits < $3
              OR r.last_hit_at + make_interval(secs => least(
                   $4::float8 * power(2::float8, least(r.hits - $3, 16)::float8), $5::float8))
                 <= now()
           RETURNING hits AS "hits!""#,
        scope,
        key,
        backoff.free,
        backoff.first_delay_secs,
        backoff.max_delay_secs,
        backoff.memory_secs,
    )
    .fetch_optional(db)
    .await
}

/// The numbers of a backoff, in seconds.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub free: i32,
    pub first_delay_secs: f64,
    pub max_delay_secs: f64,
    pub memory_secs: f64,
}

/// A counter's state, to tell a refused caller how long to wait.
pub async fn get(
    db: impl PgExecutor<'_>,
    scope: &str,
    key: &str,
) -> Result<Option<(i32, DateTime<Utc>, DateTime<Utc>)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT hits, window_start AS "window_start: DateTime<Utc>",
                  last_hit_at AS "last_hit_at: DateTime<Utc>"
           FROM rate_limits WHERE scope = $1 AND key = $2"#,
        scope,
        key
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.hits, r.window_start, r.last_hit_at)))
}

/// Takes one hit back: a sign-in that turned out right was counted as a failure in advance.
pub async fn give_back(db: impl PgExecutor<'_>, scope: &str, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE rate_limits SET hits = greatest(hits - 1, 0) WHERE scope = $1 AND key = $2",
        scope,
        key
    )
    .execute(db)
    .await
    .map(drop)
}

pub async fn clear(db: impl PgExecutor<'_>, scope: &str, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM rate_limits WHERE scope = $1 AND key = $2",
        scope,
        key
    )
    .execute(db)
    .await
    .map(drop)
}

/// Deletes counters nobody has hit since `before`; returns how many.
pub async fn prune(db: impl PgExecutor<'_>, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    sqlx::query!(
        "DELETE FROM rate_limits WHERE last_hit_at < $1",
        before as _
    )
    .execute(db)
    .await
    .map(|r| r.rows_affected())
}
