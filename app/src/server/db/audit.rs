//! The audit log: who changed what, and when. Callers pass field names, never secret values.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgExecutor;
use uuid::Uuid;

pub struct Actor<'a> {
    pub id: Option<Uuid>,
    pub email: &'a str,
}

pub async fn record(
    db: impl PgExecutor<'_>,
    actor: &Actor<'_>,
    action: &str,
    target: &str,
    details: Value,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO audit_log (actor_id, actor_email, action, target, details)
         VALUES ($1, $2, $3, $4, $5)",
        actor.id,
        actor.email,
        action,
        target,
        details
    )
    .execute(db)
    .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct AuditRow {
    pub actor_email: String,
    pub action: String,
    pub target: String,
    pub details: Value,
    pub created_at: DateTime<Utc>,
}

pub async fn recent(db: impl PgExecutor<'_>, limit: i64) -> Result<Vec<AuditRow>, sqlx::Error> {
    sqlx::query_as!(
        AuditRow,
        r#"SELECT actor_email, action, target, details,
                  created_at AS "created_at: DateTime<Utc>"
           FROM audit_log ORDER BY created_at DESC, id DESC LIMIT $1"#,
        limit
    )
    .fetch_all(db)
    .await
}

impl<'a> From<&'a crate::model::CurrentUser> for Actor<'a> {
    fn from(user: &'a crate::model::CurrentUser) -> Self {
        Self {
            id: Some(user.id),
            email: &user.email,
        }
    }
}
