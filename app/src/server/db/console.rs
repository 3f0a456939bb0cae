//! What the admin console reads: the dashboard's rollups (kept by triggers, see migration
//! 0010), and the member, subscription and past-due lists, newest first by keyset.
//!
//! Searches run with `plan_cache_mode = force_custom_plan` ([`planned_for_values`]):
//! Postgres then plans each for its own values, where a statement prepared on a pooled
//! connection falls back after five calls to one generic plan, which cannot tell a name
//! shared by thousands (walk the newest members) from one shared by three (trigrams).

use super::invoices::{escape_like, After};
use crate::model::Card;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use sqlx::{PgExecutor, PgPool, Postgres, Transaction};
use uuid::Uuid;

pub struct TotalRow {
    pub status: String,
    pub currency: String,
    pub subscriptions: i64,
    pub annual_amount: i64,
}

pub async fn subscription_totals(
    db: impl PgExecutor<'_>,
    mode: &str,
) -> Result<Vec<TotalRow>, sqlx::Error> {
    sqlx::query_as!(
        TotalRow,
        "SELECT status, currency, subscriptions, annual_amount
           FROM subscription_totals WHERE mode = $1",
        mode
    )
    .fetch_all(db)
    .await
}

pub struct MonthRow {
    pub month: NaiveDate,
    pub started: i64,
    pub ended: i64,
}

pub async fn subscription_months(
    db: impl PgExecutor<'_>,
    mode: &str,
    since: NaiveDate,
) -> Result<Vec<MonthRow>, sqlx::Error> {
    sqlx::query_as!(
        MonthRow,
        r#"SELECT month AS "month: NaiveDate", started, ended FROM subscription_months
          WHERE mode = $1 AND month >= $2 ORDER BY month"#,
        mode,
        since as _
    )
    .fetch_all(db)
    .await
}

pub struct RevenueRow {
    pub month: NaiveDate,
    pub currency: String,
    pub net: i64,
}

pub async fn revenue_months(
    db: impl PgExecutor<'_>,
    mode: &str,
    since: NaiveDate,
) -> Result<Vec<RevenueRow>, sqlx::Error> {
    sqlx::query_as!(
        RevenueRow,
        r#"SELECT month AS "month: NaiveDate", currency, received - refunded AS "net!"
             FROM revenue_months WHERE mode = $1 AND month >= $2 ORDER BY month"#,
        mode,
        since as _
    )
    .fetch_all(db)
    .await
}

/// How a console search term is matched. A term that looks like an email address
/// (`name@…`, no spaces) matches the addresses that start with it, lowercased, which a
/// byte-ordered index answers at once; anything else is part of an email or a name.
/// `%`, `_` and `\` are matched literally.
pub struct Search {
    pub term: String,
    pub pattern: String,
    pub prefix: bool,
}

impl Search {
    pub fn new(term: &str) -> Search {
        let prefix = term.find('@').is_some_and(|at| at > 0) && !term.contains(char::is_whitespace);
        let pattern = if prefix {
            format!("{}%", escape_like(&term.to_lowercase()))
        } else {
            format!("%{}%", escape_like(term))
        };
        Search {
            term: term.to_owned(),
            pattern,
            prefix,
        }
    }
}

/// A transaction whose statements Postgres plans for the values they are given, every time.
async fn planned_for_values(pool: &PgPool) -> Result<Transaction<'_, Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query!("SET LOCAL plan_cache_mode = force_custom_plan")
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

/// The customers a console search names (see `customers_matching` in migration 0011), at most
/// `limit`: members or customers by email or name, or a `cus_` id.
pub async fn customers_matching(
    pool: &PgPool,
    mode: &str,
    search: &Search,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let mut tx = planned_for_values(pool).await?;
    let ids = sqlx::query_scalar!(
        r#"SELECT id AS "id!" FROM customers_matching($1, $2, $3, $4) AS id LIMIT $5"#,
        mode,
        search.term,
        search.pattern,
        search.prefix,
        limit
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(ids)
}

pub struct MemberFilter<'a> {
    /// Members found by email or name; `None` for everyone.
    pub search: Option<&'a Search>,
    /// An exact Stripe customer id; empty for any.
    pub customer_id: &'a str,
    pub status: &'a str,
    pub plan: Option<Uuid>,
    pub tax_unrecognized: bool,
}

pub struct MemberListRow {
    pub user_id: Uuid,
    pub email: String,
    pub name: String,
    pub joined: DateTime<Utc>,
    pub customer_id: Option<String>,
    pub status: Option<String>,
    pub cancel_at_period_end: Option<bool>,
    pub plan: Option<String>,
    pub tax_location: Option<String>,
}

/// Members newest first, each with its most telling subscription (`member_summary`,
/// migration 0011). The page is chosen first and summarised after, so a search matching
/// thousands looks up 26 members' subscriptions, not thousands; a status or plan filter
/// looks them up while walking.
pub async fn members(
    pool: &PgPool,
    mode: &str,
    filter: &MemberFilter<'_>,
    after: &After<'_>,
    limit: i64,
) -> Result<Vec<MemberListRow>, sqlx::Error> {
    let (searching, pattern, prefix) = match filter.search {
        Some(search) => (true, search.pattern.as_str(), search.prefix),
        None => (false, "", false),
    };
    let after_id = Uuid::parse_str(after.id).unwrap_or(Uuid::max());
    let mut tx = planned_for_values(pool).await?;
    let rows = sqlx::query_as!(
        MemberListRow,
        r#"SELECT u.id AS "user_id!", u.email AS "email!", u.name AS "name!",
                  u.created_at AS "joined!: DateTime<Utc>",
                  m.customer_id AS "customer_id?", m.status AS "status?",
                  m.cancel_at_period_end AS "cancel_at_period_end?", p.name AS "plan?",
                  m.tax_location AS "tax_location?"
           FROM (
               SELECT u.id, u.created_at FROM users u
               WHERE u.role = 'member'
                 AND (NOT $2 OR CASE WHEN $4 THEN u.email LIKE $3
                                     ELSE u.search LIKE lower($3) END)
                 AND ($5 = '' OR u.id = (SELECT user_id FROM customers
                                         WHERE mode = $1 AND id = $5))
                 AND ($6 = '' AND $7::uuid IS NULL OR EXISTS (
                     SELECT FROM member_summary($1, u.id) s
                     WHERE ($7::uuid IS NULL OR s.product_id = $7)
                       AND ($6 = ''
                            OR ($6 = 'none' AND (s.status IS NULL
                                                 OR s.status IN ('incomplete',
                                                                 'incomplete_expired')))
                            OR ($6 = 'canceling' AND s.status = 'active'
                                AND s.cancel_at_period_end)
                            OR ($6 = 'canceled' AND s.status IN ('canceled', 'unpaid'))
                            OR s.status = $6)))
                 AND (NOT $8 OR u.id IN (SELECT user_id FROM customers
                                         WHERE mode = $1
                                           AND tax_location = 'unrecognized_location'))
                 AND (u.created_at, u.id) < ($9, $10)
               ORDER BY u.created_at DESC, u.id DESC
               LIMIT $11
           ) page
           JOIN users u ON u.id = page.id
           LEFT JOIN LATERAL member_summary($1, u.id) m ON true
           LEFT JOIN products p ON p.id = m.product_id
           ORDER BY u.created_at DESC, u.id DESC"#,
        mode,
        searching,
        pattern,
        prefix,
        filter.customer_id,
        filter.status,
        filter.plan,
        filter.tax_unrecognized,
        after.created as _,
        after_id,
        limit
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows)
}

pub struct SubscriptionListRow {
    pub id: String,
    pub user_id: Option<Uuid>,
    pub member_email: Option<String>,
    pub member_name: Option<String>,
    pub status: String,
    pub cancel_at_period_end: bool,
    pub plan: Option<String>,
    pub annual_amount: i64,
    pub currency: Option<String>,
    pub created: DateTime<Utc>,
    pub current_period_end: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub trial_end: Option<DateTime<Utc>>,
    pub canceled_at: Option<DateTime<Utc>>,
}

pub struct SubscriptionFilter<'a> {
    pub status: &'a str,
    pub plan: Option<Uuid>,
    /// Only this customer's.
    pub customer_id: Option<&'a str>,
}

pub async fn subscriptions(
    db: impl PgExecutor<'_>,
    mode: &str,
    filter: &SubscriptionFilter<'_>,
    after: &After<'_>,
    limit: i64,
) -> Result<Vec<SubscriptionListRow>, sqlx::Error> {
    sqlx::query_as!(
        SubscriptionListRow,
        r#"SELECT s.id, u.id AS "user_id?", u.email AS "member_email?",
                  u.name AS "member_name?", s.status, s.cancel_at_period_end,
                  p.name AS "plan?", s.annual_amount, s.currency,
                  s.created AS "created: DateTime<Utc>",
                  s.current_period_end AS "current_period_end: DateTime<Utc>",
                  s.ended_at AS "ended_at: DateTime<Utc>",
                  s.trial_end AS "trial_end: DateTime<Utc>",
                  s.canceled_at AS "canceled_at: DateTime<Utc>"
           FROM subscriptions s
           LEFT JOIN customers c ON c.mode = s.mode AND c.id = s.customer_id
           LEFT JOIN users u ON u.id = c.user_id
           LEFT JOIN products p ON p.id = s.product_id
           WHERE s.mode = $1
             AND ($2 = '' OR s.status = $2
                  OR ($2 = 'canceling' AND s.status = 'active' AND s.cancel_at_period_end))
             AND ($3::uuid IS NULL OR s.product_id = $3)
             AND ($4::text IS NULL OR s.customer_id = $4)
             AND (s.created, s.id) < ($5, $6)
           ORDER BY s.created DESC, s.id DESC
           LIMIT $7"#,
        mode,
        filter.status,
        filter.plan,
        filter.customer_id,
        after.created as _,
        after.id,
        limit
    )
    .fetch_all(db)
    .await
}

pub struct PastDueListRow {
    pub subscription_id: String,
    pub status: String,
    pub created: DateTime<Utc>,
    pub user_id: Option<Uuid>,
    pub member_email: Option<String>,
    pub plan: Option<String>,
    pub invoice_id: Option<String>,
    pub invoice_number: Option<String>,
    pub invoice_status: Option<String>,
    pub currency: Option<String>,
    pub at_risk: Option<i64>,
    pub attempt_count: Option<i32>,
    pub next_payment_attempt: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
    pub failure_message: Option<String>,
}

/// Past-due and unpaid subscriptions with their unpaid invoice and its last failed payment.
pub async fn past_due(
    db: impl PgExecutor<'_>,
    mode: &str,
    after: &After<'_>,
    limit: i64,
) -> Result<Vec<PastDueListRow>, sqlx::Error> {
    sqlx::query_as!(
        PastDueListRow,
        r#"SELECT s.id AS subscription_id, s.status, s.created AS "created: DateTime<Utc>",
                  u.id AS "user_id?", u.email AS "member_email?", p.name AS "plan?",
                  i.id AS "invoice_id?", i.number AS "invoice_number?",
                  i.status AS "invoice_status?", i.currency AS "currency?",
                  i.amount_due - i.amount_paid AS "at_risk?",
                  i.attempt_count AS "attempt_count?",
                  i.next_payment_attempt AS "next_payment_attempt: DateTime<Utc>",
                  pay.created AS "failed_at?: DateTime<Utc>",
                  pay.failure_message AS "failure_message?"
           FROM subscriptions s
           LEFT JOIN customers c ON c.mode = s.mode AND c.id = s.customer_id
           LEFT JOIN users u ON u.id = c.user_id
           LEFT JOIN products p ON p.id = s.product_id
           LEFT JOIN invoices i ON i.mode = s.mode AND i.id = s.latest_invoice
           LEFT JOIN payments pay ON pay.mode = i.mode AND pay.id = i.payment_intent
           WHERE s.mode = $1 AND s.status IN ('past_due', 'unpaid')
             AND (s.created, s.id) < ($2, $3)
           ORDER BY s.created DESC, s.id DESC
           LIMIT $4"#,
        mode,
        after.created as _,
        after.id,
        limit
    )
    .fetch_all(db)
    .await
}

pub struct MemberProfileRow {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: String,
    pub created_at: DateTime<Utc>,
    pub customer_id: Option<String>,
    pub address: Option<Value>,
    pub tax_location: Option<String>,
    pub tax_ids: Option<Value>,
}

pub async fn member_profile(
    db: impl PgExecutor<'_>,
    mode: &str,
    user_id: Uuid,
) -> Result<Option<MemberProfileRow>, sqlx::Error> {
    sqlx::query_as!(
        MemberProfileRow,
        r#"SELECT u.id, u.email, u.name, u.role, u.created_at AS "created_at: DateTime<Utc>",
                  c.id AS "customer_id?", c.address AS "address?",
                  c.tax_location AS "tax_location?", c.tax_ids AS "tax_ids?"
           FROM users u
           LEFT JOIN LATERAL (
               SELECT c.id, c.address, c.tax_location, c.tax_ids FROM customers c
               WHERE c.user_id = u.id AND c.mode = $1
               ORDER BY c.updated_at DESC LIMIT 1
           ) c ON true
           WHERE u.id = $2"#,
        mode,
        user_id
    )
    .fetch_optional(db)
    .await
}

pub struct HistoryRow {
    pub object_id: Option<String>,
    pub type_: String,
    pub created: DateTime<Utc>,
}

/// Stripe's newest events about these objects, newest first.
pub async fn history(
    db: impl PgExecutor<'_>,
    mode: &str,
    object_ids: &[String],
    limit: i64,
) -> Result<Vec<HistoryRow>, sqlx::Error> {
    sqlx::query_as!(
        HistoryRow,
        r#"SELECT object_id, type AS type_, created AS "created: DateTime<Utc>"
           FROM stripe_events
           WHERE object_id = ANY($2) AND mode = $1
           ORDER BY created DESC, received_at DESC, id DESC
           LIMIT $3"#,
        mode,
        object_ids,
        limit
    )
    .fetch_all(db)
    .await
}

pub struct GrantRow {
    pub until: DateTime<Utc>,
    pub reason: String,
    pub granted_by: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub async fn grants(
    db: impl PgExecutor<'_>,
    mode: &str,
    user_id: Uuid,
) -> Result<Vec<GrantRow>, sqlx::Error> {
    sqlx::query_as!(
        GrantRow,
        r#"SELECT g.until AS "until: DateTime<Utc>", g.reason, a.email AS "granted_by?",
                  g.created_at AS "created_at: DateTime<Utc>"
           FROM access_grants g
           LEFT JOIN users a ON a.id = g.granted_by
           WHERE g.user_id = $1 AND g.mode = $2
           ORDER BY g.created_at DESC"#,
        user_id,
        mode
    )
    .fetch_all(db)
    .await
}

pub async fn insert_grant(
    db: impl PgExecutor<'_>,
    mode: &str,
    user_id: Uuid,
    until: DateTime<Utc>,
    reason: &str,
    granted_by: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO access_grants (mode, user_id, until, reason, granted_by)
         VALUES ($1, $2, $3, $4, $5)",
        mode,
        user_id,
        until as _,
        reason,
        granted_by
    )
    .execute(db)
    .await
    .map(drop)
}

/// The subscription's customer and its member, for an action on it.
pub struct SubscriptionOwner {
    pub customer_id: String,
    pub status: String,
    pub cancel_at_period_end: bool,
    pub user_id: Option<Uuid>,
    pub member_email: Option<String>,
}

pub async fn subscription_owner(
    db: impl PgExecutor<'_>,
    mode: &str,
    id: &str,
) -> Result<Option<SubscriptionOwner>, sqlx::Error> {
    sqlx::query_as!(
        SubscriptionOwner,
        r#"SELECT s.customer_id, s.status, s.cancel_at_period_end,
                  u.id AS "user_id?", u.email AS "member_email?"
           FROM subscriptions s
           LEFT JOIN customers c ON c.mode = s.mode AND c.id = s.customer_id
           LEFT JOIN users u ON u.id = c.user_id
           WHERE s.mode = $1 AND s.id = $2"#,
        mode,
        id
    )
    .fetch_optional(db)
    .await
}

/// The customer's saved cards, the default one marked.
pub async fn cards_of(
    db: impl PgExecutor<'_>,
    mode: &str,
    customer_id: &str,
) -> Result<Vec<Card>, sqlx::Error> {
    sqlx::query_as!(
        Card,
        r#"SELECT m.id, COALESCE(m.brand, 'card') AS "brand!", COALESCE(m.last4, '') AS "last4!",
                  COALESCE(m.exp_month, 0)::bigint AS "exp_month!",
                  COALESCE(m.exp_year, 0)::bigint AS "exp_year!",
                  (c.default_payment_method = m.id) IS TRUE AS "is_default!"
           FROM payment_methods m
           LEFT JOIN customers c ON c.mode = m.mode AND c.id = m.customer_id
           WHERE m.mode = $1 AND m.customer_id = $2
           ORDER BY m.updated_at DESC"#,
        mode,
        customer_id
    )
    .fetch_all(db)
    .await
}

#[cfg(test)]
mod tests {
    use super::Search;

    #[test]
    fn an_address_is_matched_from_its_start_anything_else_anywhere() {
        let address = Search::new("Grace.Hopper@Example.com");
        assert!(address.prefix);
        assert_eq!(address.pattern, "grace.hopper@example.com%");
        assert_eq!(address.term, "Grace.Hopper@Example.com");

        for (term, pattern) in [
            ("@example.com", "%@example.com%"),
            ("Ada Lovelace", "%Ada Lovelace%"),
            ("ada @example.com", "%ada @example.com%"),
            ("100%", "%100\\%%"),
        ] {
            let search = Search::new(term);
            assert!(!search.prefix, "{term}");
            assert_eq!(search.pattern, pattern);
        }
        assert_eq!(Search::new("a_b@x").pattern, "a\\_b@x%");
    }
}
