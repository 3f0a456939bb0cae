use crate::model::{CurrentUser, EmailAddress, MemberSummary, Role};
use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

struct UserRow {
    id: Uuid,
    email: String,
    name: String,
    role: String,
    created_at: DateTime<Utc>,
}

/// A `UserRow` from a query's record that has the user columns beside others.
macro_rules! user_row {
    ($record:expr) => {
        UserRow {
            id: $record.id,
            email: $record.email,
            name: $record.name,
            role: $record.role,
            created_at: $record.created_at,
        }
    };
}

impl UserRow {
    fn into_user(self) -> Result<CurrentUser, sqlx::Error> {
        let role = Role::parse(&self.role)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown role {}", self.role).into()))?;
        Ok(CurrentUser {
            id: self.id,
            email: self.email,
            name: self.name,
            role,
            created_at: self.created_at,
        })
    }
}

/// Inserts an account; `None` when the email is taken.
pub async fn insert(
    pool: &PgPool,
    email: &EmailAddress,
    name: &str,
    password_hash: &str,
    role: Role,
) -> Result<Option<CurrentUser>, sqlx::Error> {
    sqlx::query_as!(
        UserRow,
        r#"INSERT INTO users (email, name, password_hash, role)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (email) DO NOTHING
           RETURNING id, email, name, role, created_at AS "created_at: DateTime<Utc>""#,
        email.as_str(),
        name,
        password_hash,
        role.as_str(),
    )
    .fetch_optional(pool)
    .await?
    .map(UserRow::into_user)
    .transpose()
}

pub async fn upsert_admin(
    pool: &PgPool,
    email: &EmailAddress,
    name: &str,
    password_hash: &str,
) -> Result<CurrentUser, sqlx::Error> {
    sqlx::query_as!(
        UserRow,
        r#"INSERT INTO users (email, name, password_hash, role)
           VALUES ($1, $2, $3, 'admin')
           ON CONFLICT (email) DO UPDATE
             SET password_hash = EXCLUDED.password_hash, role = 'admin'
           RETURNING id, email, name, role, created_at AS "created_at: DateTime<Utc>""#,
        email.as_str(),
        name,
        password_hash,
    )
    .fetch_one(pool)
    .await?
    .into_user()
}

pub async fn find(pool: &PgPool, id: Uuid) -> Result<Option<CurrentUser>, sqlx::Error> {
    sqlx::query_as!(
        UserRow,
        r#"SELECT id, email, name, role, created_at AS "created_at: DateTime<Utc>"
           FROM users WHERE id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await?
    .map(UserRow::into_user)
    .transpose()
}

/// The user and when their sessions were last revoked, for checking a session.
pub async fn find_signed_in(
    pool: &PgPool,
    id: Uuid,
) -> Result<Option<(CurrentUser, Option<DateTime<Utc>>)>, sqlx::Error> {
    let Some(row) = sqlx::query!(
        r#"SELECT id, email, name, role, created_at AS "created_at: DateTime<Utc>",
                  sessions_revoked_at AS "sessions_revoked_at: DateTime<Utc>"
           FROM users WHERE id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let user = user_row!(row).into_user()?;
    Ok(Some((user, row.sessions_revoked_at)))
}

/// Ends every session the user has signed in before now.
pub async fn revoke_sessions(pool: &PgPool, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE users SET sessions_revoked_at = clock_timestamp() WHERE id = $1",
        id
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn find_by_email(pool: &PgPool, email: &str) -> Result<Option<CurrentUser>, sqlx::Error> {
    sqlx::query_as!(
        UserRow,
        r#"SELECT id, email, name, role, created_at AS "created_at: DateTime<Utc>"
           FROM users WHERE email = $1"#,
        email
    )
    .fetch_optional(pool)
    .await?
    .map(UserRow::into_user)
    .transpose()
}

/// The account and its password hash, for checking a sign-in.
pub async fn find_credentials(
    pool: &PgPool,
    email: &EmailAddress,
) -> Result<Option<(CurrentUser, String)>, sqlx::Error> {
    let Some(row) = sqlx::query!(
        r#"SELECT id, email, name, role, password_hash,
                  created_at AS "created_at: DateTime<Utc>"
           FROM users WHERE email = $1"#,
        email.as_str()
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let user = user_row!(row).into_user()?;
    Ok(Some((user, row.password_hash)))
}

/// Every admin's email, each row locked until the transaction ends.
pub async fn lock_admins(db: impl PgExecutor<'_>) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!("SELECT email FROM users WHERE role = 'admin' ORDER BY id FOR UPDATE")
        .fetch_all(db)
        .await
}

/// Makes an admin a member and ends their sessions.
pub async fn demote_admin(db: impl PgExecutor<'_>, email: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE users SET role = 'member', sessions_revoked_at = clock_timestamp()
         WHERE email = $1 AND role = 'admin'",
        email
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn admins(pool: &PgPool) -> Result<Vec<MemberSummary>, sqlx::Error> {
    sqlx::query_as!(
        UserRow,
        r#"SELECT id, email, name, role, created_at AS "created_at: DateTime<Utc>"
           FROM users WHERE role = 'admin' ORDER BY created_at, id"#
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|row| {
        row.into_user().map(|u| MemberSummary {
            email: u.email,
            name: u.name,
            role: u.role,
            created_at: u.created_at,
        })
    })
    .collect()
}
