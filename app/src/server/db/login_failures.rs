use chrono::{DateTime, Utc};
use sqlx::PgPool;

pub async fn get(pool: &PgPool, email: &str) -> Result<Option<(i32, DateTime<Utc>)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT failures, last_failed_at AS "last_failed_at: DateTime<Utc>"
           FROM login_failures WHERE email = $1"#,
        email
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| (r.failures, r.last_failed_at)))
}

/// Counts one more failure; a failure after a long quiet spell starts the count again.
pub async fn record(pool: &PgPool, email: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"INSERT INTO login_failures (email, failures, last_failed_at) VALUES ($1, 1, now())
           ON CONFLICT (email) DO UPDATE SET
             failures = CASE WHEN login_failures.last_failed_at < now() - interval '15 minutes'
                             THEN 1 ELSE login_failures.failures + 1 END,
             last_failed_at = now()"#,
        email,
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn clear(pool: &PgPool, email: &str) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM login_failures WHERE email = $1", email)
        .execute(pool)
        .await?;
    Ok(())
}
