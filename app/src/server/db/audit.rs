//! The audit log: who changed what, and when. Callers pass field names, never secret values.

use chrono::{DateTime, NaiveDate, Utc};
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
    pub id: i64,
    pub actor_email: String,
    pub action: String,
    pub target: String,
    pub details: Value,
    pub created_at: DateTime<Utc>,
}

pub struct AuditFilter<'a> {
    /// An action or the start of one (`payment.`, `settings.`).
    pub action: &'a str,
    /// Part of the actor's email.
    pub actor: &'a str,
    /// The exact target (an id).
    pub target: &'a str,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// Newest first, after `(created_at, id)` when paging on.
pub async fn page(
    db: impl PgExecutor<'_>,
    filter: &AuditFilter<'_>,
    after: Option<(DateTime<Utc>, i64)>,
    limit: i64,
) -> Result<Vec<AuditRow>, sqlx::Error> {
    let (after_time, after_id) = after.unwrap_or((
        DateTime::from_timestamp(253_402_300_799, 0).unwrap_or_default(),
        i64::MAX,
    ));
    let action = format!("{}%", super::invoices::escape_like(filter.action));
    let actor = format!("%{}%", super::invoices::escape_like(filter.actor));
    sqlx::query_as!(
        AuditRow,
        r#"SELECT id, actor_email, action, target, details,
                  created_at AS "created_at: DateTime<Utc>"
           FROM audit_log
           WHERE action LIKE $1 AND actor_email ILIKE $2 AND ($3 = '' OR target = $3)
             AND ($4::date IS NULL OR created_at >= $4::date)
             AND ($5::date IS NULL OR created_at < $5::date + 1)
             AND (created_at, id) < ($6, $7)
           ORDER BY created_at DESC, id DESC
           LIMIT $8"#,
        action,
        actor,
        filter.target,
        filter.from as _,
        filter.to as _,
        after_time as _,
        after_id,
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
