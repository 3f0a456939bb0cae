//! Payments as the console lists them, with their member, card and invoice.

use super::invoices::After;
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct PaymentRow {
    pub id: String,
    pub status: String,
    pub currency: String,
    pub amount: i64,
    pub amount_received: i64,
    pub amount_refunded: i64,
    pub failure_message: Option<String>,
    pub created: DateTime<Utc>,
    pub customer_id: Option<String>,
    pub member_id: Option<Uuid>,
    pub member_email: Option<String>,
    pub member_name: Option<String>,
    pub card_brand: Option<String>,
    pub card_last4: Option<String>,
    pub invoice_id: Option<String>,
    pub invoice_number: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct PaymentFilter<'a> {
    /// "" for all, or succeeded / partially_refunded / refunded / failed / pending /
    /// canceled, as [`crate::model::PaymentState`] names them.
    pub state: &'a str,
    /// Only these customers' payments (those a member search named), or everyone's.
    pub customers: Option<&'a [String]>,
    pub id: Option<&'a str>,
}

pub async fn page(
    db: impl PgExecutor<'_>,
    mode: &str,
    filter: &PaymentFilter<'_>,
    after: &After<'_>,
    limit: i64,
) -> Result<Vec<PaymentRow>, sqlx::Error> {
    sqlx::query_as!(
        PaymentRow,
        r#"SELECT p.id, p.status, p.currency, p.amount, p.amount_received, p.amount_refunded,
                  p.failure_message, p.created AS "created: DateTime<Utc>", p.customer_id,
                  u.id AS "member_id?", u.email AS "member_email?", u.name AS "member_name?",
                  m.brand AS "card_brand?", m.last4 AS "card_last4?",
                  i.id AS "invoice_id?", i.number AS "invoice_number?"
           FROM payments p
           LEFT JOIN customers c ON c.mode = p.mode AND c.id = p.customer_id
           LEFT JOIN users u ON u.id = c.user_id
           LEFT JOIN payment_methods m ON m.mode = p.mode AND m.id = p.payment_method
           LEFT JOIN LATERAL (
               SELECT i.id, i.number FROM invoices i
               WHERE i.mode = p.mode AND i.payment_intent = p.id LIMIT 1
           ) i ON true
           WHERE p.mode = $1
             AND ($2 = ''
                  OR ($2 = 'succeeded' AND p.status = 'succeeded' AND p.amount_refunded = 0)
                  OR ($2 = 'partially_refunded' AND p.status = 'succeeded'
                      AND p.amount_refunded > 0 AND p.amount_refunded < p.amount_received)
                  OR ($2 = 'refunded' AND p.status = 'succeeded' AND p.amount_refunded > 0
                      AND p.amount_refunded >= p.amount_received)
                  OR ($2 = 'failed' AND p.status NOT IN ('succeeded', 'canceled')
                      AND p.failure_message IS NOT NULL)
                  OR ($2 = 'pending' AND p.status NOT IN ('succeeded', 'canceled')
                      AND p.failure_message IS NULL)
                  OR ($2 = 'canceled' AND p.status = 'canceled'))
             AND ($3::text[] IS NULL OR p.customer_id = ANY($3))
             AND ($7::text IS NULL OR p.id = $7)
             AND (p.created, p.id) < ($4, $5)
           ORDER BY p.created DESC, p.id DESC
           LIMIT $6"#,
        mode,
        filter.state,
        filter.customers,
        after.created as _,
        after.id,
        limit,
        filter.id
    )
    .fetch_all(db)
    .await
}

/// One payment, as [`page`] shows it.
pub async fn find(
    db: impl PgExecutor<'_>,
    mode: &str,
    id: &str,
) -> Result<Option<PaymentRow>, sqlx::Error> {
    let filter = PaymentFilter {
        id: Some(id),
        ..PaymentFilter::default()
    };
    let rows = page(db, mode, &filter, &After::start(), 1).await?;
    Ok(rows.into_iter().next())
}
