//! The rows a member's access is derived from.

use crate::server::billing::access::{CreditFacts, SubscriptionFacts};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

pub async fn subscriptions_of(
    pool: &PgPool,
    user_id: Uuid,
    mode: &str,
) -> Result<Vec<SubscriptionFacts>, sqlx::Error> {
    sqlx::query_as!(
        SubscriptionFacts,
        r#"SELECT s.status, p.name AS "product_name?", p.kind AS "product_kind?",
                  s.current_period_start AS "current_period_start: DateTime<Utc>",
                  s.current_period_end AS "current_period_end: DateTime<Utc>",
                  s.cancel_at_period_end
           FROM subscriptions s
           JOIN customers c ON c.mode = s.mode AND c.id = s.customer_id
           LEFT JOIN prices pr ON pr.mode = s.mode AND pr.stripe_price_id = s.price_id
           LEFT JOIN products p ON p.id = pr.product_id
           WHERE c.user_id = $1 AND s.mode = $2"#,
        user_id,
        mode
    )
    .fetch_all(pool)
    .await
}

pub async fn credits_of(
    pool: &PgPool,
    user_id: Uuid,
    mode: &str,
) -> Result<Vec<CreditFacts>, sqlx::Error> {
    sqlx::query_as!(
        CreditFacts,
        r#"SELECT t.account_type, t.months, t.paid_at AS "paid_at: DateTime<Utc>"
         FROM top_up_credits t
         JOIN customers c ON c.mode = t.mode AND c.id = t.customer_id
         WHERE c.user_id = $1 AND t.mode = $2
         ORDER BY t.paid_at"#,
        user_id,
        mode
    )
    .fetch_all(pool)
    .await
}

/// The newest open invoice waiting for the member: what to do and where.
pub async fn pending_action(
    pool: &PgPool,
    user_id: Uuid,
    mode: &str,
) -> Result<Option<(String, Option<String>)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT i.attention AS "attention!", i.hosted_invoice_url
           FROM invoices i
           JOIN customers c ON c.mode = i.mode AND c.id = i.customer_id
           WHERE c.user_id = $1 AND i.mode = $2 AND i.attention IS NOT NULL
                 AND (i.status = 'open' OR (i.status = 'draft' AND i.attention = 'fix_address'))
           ORDER BY i.created DESC
           LIMIT 1"#,
        user_id,
        mode
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| (r.attention, r.hosted_invoice_url)))
}

/// The latest end of the manual extensions admins granted the member.
pub async fn granted_until(
    pool: &PgPool,
    user_id: Uuid,
    mode: &str,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT max(until) AS "until: DateTime<Utc>" FROM access_grants
           WHERE user_id = $1 AND mode = $2"#,
        user_id,
        mode
    )
    .fetch_one(pool)
    .await
}
