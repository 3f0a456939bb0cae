//! Invitations of admins by admins. Only a hash of each link's secret is kept.

use crate::model::InviteView;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

pub async fn insert(
    db: impl PgExecutor<'_>,
    id: Uuid,
    email: &str,
    token_hash: &[u8],
    invited_by: Uuid,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO admin_invites (id, email, token_hash, invited_by, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
        id,
        email,
        token_hash,
        invited_by,
        expires_at as _
    )
    .execute(db)
    .await
    .map(drop)
}

/// The newest invitations first, with what became of each.
pub async fn list(db: impl PgExecutor<'_>, limit: i64) -> Result<Vec<InviteView>, sqlx::Error> {
    sqlx::query_as!(
        InviteView,
        r#"SELECT i.id, i.email, u.email AS "invited_by?",
                  i.created_at AS "created_at: DateTime<Utc>",
                  i.expires_at AS "expires_at: DateTime<Utc>",
                  CASE WHEN i.accepted_at IS NOT NULL THEN 'accepted'
                       WHEN i.revoked_at IS NOT NULL THEN 'revoked'
                       WHEN i.expires_at <= now() THEN 'expired'
                       ELSE 'pending' END AS "state!"
           FROM admin_invites i
           LEFT JOIN users u ON u.id = i.invited_by
           ORDER BY i.created_at DESC
           LIMIT $1"#,
        limit
    )
    .fetch_all(db)
    .await
}

pub struct OpenInvite {
    pub id: Uuid,
    pub email: String,
}

/// The invitation behind a link's secret, locked, while it can still be accepted.
pub async fn open_for_update(
    db: &mut PgConnection,
    token_hash: &[u8],
) -> Result<Option<OpenInvite>, sqlx::Error> {
    sqlx::query_as!(
        OpenInvite,
        "SELECT id, email FROM admin_invites
         WHERE token_hash = $1 AND accepted_at IS NULL AND revoked_at IS NULL
               AND expires_at > now()
         FOR UPDATE",
        token_hash
    )
    .fetch_optional(db)
    .await
}

pub async fn mark_accepted(db: &mut PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE admin_invites SET accepted_at = now() WHERE id = $1",
        id
    )
    .execute(db)
    .await
    .map(drop)
}

/// Revokes a pending invitation; `None` when there is none to revoke.
pub async fn revoke(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "UPDATE admin_invites SET revoked_at = now()
         WHERE id = $1 AND accepted_at IS NULL AND revoked_at IS NULL
         RETURNING email",
        id
    )
    .fetch_optional(db)
    .await
}

/// An account that exists for this email: its id, role and password hash.
pub async fn account(
    db: &mut PgConnection,
    email: &str,
) -> Result<Option<(Uuid, String, String)>, sqlx::Error> {
    Ok(sqlx::query!(
        "SELECT id, role, password_hash FROM users WHERE email = $1 FOR UPDATE",
        email
    )
    .fetch_optional(db)
    .await?
    .map(|r| (r.id, r.role, r.password_hash)))
}

pub async fn promote(db: &mut PgConnection, user_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!("UPDATE users SET role = 'admin' WHERE id = $1", user_id)
        .execute(db)
        .await
        .map(drop)
}

pub async fn insert_admin(
    db: &mut PgConnection,
    email: &str,
    name: &str,
    password_hash: &str,
) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO users (email, name, password_hash, role) VALUES ($1, $2, $3, 'admin')
         RETURNING id",
        email,
        name,
        password_hash
    )
    .fetch_one(db)
    .await
}
