//! REST API tokens. Only a SHA-256 of each secret is stored.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

pub struct NewToken<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub prefix: &'a str,
    pub secret_hash: &'a [u8],
    pub scope: &'a str,
    pub member_id: Option<Uuid>,
    pub created_by: Uuid,
}

pub async fn insert(db: impl PgExecutor<'_>, t: &NewToken<'_>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO api_tokens (id, name, prefix, secret_hash, scope, member_id, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        t.id,
        t.name,
        t.prefix,
        t.secret_hash,
        t.scope,
        t.member_id,
        t.created_by
    )
    .execute(db)
    .await
    .map(drop)
}

#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: Uuid,
    pub name: String,
    pub prefix: String,
    pub scope: String,
    pub member_id: Option<Uuid>,
    pub member_email: Option<String>,
    pub created_by_email: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub async fn list(db: impl PgExecutor<'_>) -> Result<Vec<TokenRow>, sqlx::Error> {
    sqlx::query_as!(
        TokenRow,
        r#"SELECT t.id, t.name, t.prefix, t.scope, t.member_id, m.email AS "member_email?",
                  a.email AS "created_by_email?", t.created_at AS "created_at: DateTime<Utc>",
                  t.last_used_at AS "last_used_at: DateTime<Utc>",
                  t.revoked_at AS "revoked_at: DateTime<Utc>"
           FROM api_tokens t
           LEFT JOIN users m ON m.id = t.member_id
           LEFT JOIN users a ON a.id = t.created_by
           ORDER BY t.revoked_at IS NOT NULL, t.created_at DESC
           LIMIT 500"#
    )
    .fetch_all(db)
    .await
}

/// The live token with this secret hash: who it acts as. Marks it used (at most once a
/// minute, so a busy client does not write a row per call).
pub async fn authenticate(
    db: impl PgExecutor<'_>,
    secret_hash: &[u8],
) -> Result<Option<(Uuid, String, Option<Uuid>)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"WITH hit AS (
               SELECT id, scope, member_id, last_used_at FROM api_tokens
               WHERE secret_hash = $1 AND revoked_at IS NULL
           ), touched AS (
               UPDATE api_tokens t SET last_used_at = now()
               FROM hit WHERE t.id = hit.id
                 AND (hit.last_used_at IS NULL OR hit.last_used_at < now() - interval '1 minute')
           )
           SELECT id, scope, member_id FROM hit"#,
        secret_hash
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.id, r.scope, r.member_id)))
}

/// Revokes a token; `None` when there is no live token with that id.
pub async fn revoke(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL
         RETURNING name",
        id
    )
    .fetch_optional(db)
    .await
}
