//! The receipt outbox: one row per paid invoice, claimed by the mailer.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

#[derive(Debug, Clone)]
pub struct DueReceipt {
    pub mode: String,
    pub invoice_id: String,
    pub attempts: i32,
}

/// Claims receipts that are due, pushing their next attempt out so a second mailer (or this
/// one after a crash) does not send them at the same time. Receipts older than three days
/// are left alone: switching SMTP on must not mail a backlog of old payments.
pub async fn claim_due(db: &mut PgConnection, limit: i64) -> Result<Vec<DueReceipt>, sqlx::Error> {
    sqlx::query_as!(
        DueReceipt,
        "UPDATE receipts r SET next_attempt_at = now() + interval '5 minutes',
                attempts = r.attempts + 1
         FROM (SELECT mode, invoice_id FROM receipts
               WHERE status = 'pending' AND next_attempt_at <= now()
                 AND created_at > now() - interval '3 days'
               ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) due
         WHERE r.mode = due.mode AND r.invoice_id = due.invoice_id
         RETURNING r.mode, r.invoice_id, r.attempts",
        limit
    )
    .fetch_all(db)
    .await
}

pub async fn mark_sent(
    db: &mut PgConnection,
    mode: &str,
    invoice_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE receipts SET status = 'sent', sent_at = now(), last_error = NULL
         WHERE mode = $1 AND invoice_id = $2",
        mode,
        invoice_id
    )
    .execute(db)
    .await
    .map(drop)
}

/// Records a failed attempt: retried at `retry_at`, or given up when `None`.
pub async fn mark_failed(
    db: &mut PgConnection,
    mode: &str,
    invoice_id: &str,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE receipts SET last_error = $3,
                status = CASE WHEN $4::timestamptz IS NULL THEN 'failed' ELSE 'pending' END,
                next_attempt_at = COALESCE($4, next_attempt_at)
         WHERE mode = $1 AND invoice_id = $2",
        mode,
        invoice_id,
        error,
        retry_at as _
    )
    .execute(db)
    .await
    .map(drop)
}

#[derive(Debug, Clone)]
pub struct ReceiptRow {
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

pub async fn find(
    db: &mut PgConnection,
    mode: &str,
    invoice_id: &str,
) -> Result<Option<ReceiptRow>, sqlx::Error> {
    sqlx::query_as!(
        ReceiptRow,
        r#"SELECT status, attempts, last_error, sent_at AS "sent_at: DateTime<Utc>"
           FROM receipts WHERE mode = $1 AND invoice_id = $2"#,
        mode,
        invoice_id
    )
    .fetch_optional(db)
    .await
}
