//! What the member's billing pages read and write: their Stripe customer, their open Checkout
//! Sessions, and the catalog as they may buy from it.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// One active price of an active product, as a member may buy it.
#[derive(Debug, Clone)]
pub struct OfferRow {
    pub product_id: Uuid,
    pub kind: String,
    pub name: String,
    pub description: String,
    pub metadata: serde_json::Value,
    pub tax_rate_ids: Vec<String>,
    pub stripe_price_id: String,
    pub currency: String,
    pub unit_amount: i64,
    pub recurring_interval: Option<String>,
}

/// Everything on sale in `mode`: active prices of active products that Stripe knows.
pub async fn offers(db: impl PgExecutor<'_>, mode: &str) -> Result<Vec<OfferRow>, sqlx::Error> {
    sqlx::query_as!(
        OfferRow,
        r#"SELECT p.id AS product_id, p.kind, p.name, p.description, p.metadata, p.tax_rate_ids,
                  pr.stripe_price_id AS "stripe_price_id!", pr.currency, pr.unit_amount,
                  pr.recurring_interval
           FROM products p
           JOIN prices pr ON pr.product_id = p.id
           WHERE p.mode = $1 AND p.active AND pr.active AND pr.stripe_price_id IS NOT NULL
           ORDER BY p.created_at, p.id, pr.recurring_interval NULLS FIRST, pr.currency,
                    pr.unit_amount"#,
        mode
    )
    .fetch_all(db)
    .await
}

/// The offer for one Stripe price, if it is on sale.
pub async fn offer(
    db: impl PgExecutor<'_>,
    mode: &str,
    stripe_price_id: &str,
) -> Result<Option<OfferRow>, sqlx::Error> {
    sqlx::query_as!(
        OfferRow,
        r#"SELECT p.id AS product_id, p.kind, p.name, p.description, p.metadata, p.tax_rate_ids,
                  pr.stripe_price_id AS "stripe_price_id!", pr.currency, pr.unit_amount,
                  pr.recurring_interval
           FROM products p
           JOIN prices pr ON pr.product_id = p.id
           WHERE p.mode = $1 AND p.active AND pr.active AND pr.stripe_price_id = $2"#,
        mode,
        stripe_price_id
    )
    .fetch_optional(db)
    .await
}

/// Serialises a member's billing writes (creating their customer, opening Checkout) across
/// requests and processes, until the transaction ends.
pub async fn lock_member(db: &mut PgConnection, user_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended('paydesk-member:' || $1::text, 0))",
        user_id.to_string()
    )
    .execute(db)
    .await
    .map(drop)
}

/// The member's Stripe customer in `mode`.
pub async fn customer_of(
    db: impl PgExecutor<'_>,
    mode: &str,
    user_id: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM customers WHERE mode = $1 AND user_id = $2 AND NOT deleted
         ORDER BY updated_at DESC LIMIT 1",
        mode,
        user_id
    )
    .fetch_optional(db)
    .await
}

/// The member a Stripe customer belongs to.
pub async fn owner_of_customer(
    db: impl PgExecutor<'_>,
    mode: &str,
    customer: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    Ok(sqlx::query_scalar!(
        "SELECT user_id FROM customers WHERE mode = $1 AND id = $2",
        mode,
        customer
    )
    .fetch_optional(db)
    .await?
    .flatten())
}

/// The member's subscription that is not over yet (newest first), with its status.
pub async fn live_subscription(
    db: impl PgExecutor<'_>,
    mode: &str,
    user_id: Uuid,
) -> Result<Option<(String, String)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT s.id, s.status FROM subscriptions s
         JOIN customers c ON c.mode = s.mode AND c.id = s.customer_id
         WHERE c.user_id = $1 AND s.mode = $2
               AND s.status NOT IN ('canceled', 'incomplete_expired')
         ORDER BY s.current_period_start DESC NULLS LAST, s.updated_at DESC
         LIMIT 1",
        user_id,
        mode
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.id, r.status)))
}

/// Whether the member ever had a subscription (a free trial is for the first one only).
pub async fn ever_subscribed(
    db: impl PgExecutor<'_>,
    mode: &str,
    user_id: Uuid,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (
             SELECT 1 FROM subscriptions s
             JOIN customers c ON c.mode = s.mode AND c.id = s.customer_id
             WHERE c.user_id = $1 AND s.mode = $2) AS "exists!""#,
        user_id,
        mode
    )
    .fetch_one(db)
    .await
}

pub struct OpenCheckout {
    pub id: String,
    pub url: String,
    pub price_id: Option<String>,
}

/// The member's Checkout Session of this kind that can still be paid: not expired (with a
/// margin to finish paying), not closed by Paydesk, not completed.
pub async fn open_checkout(
    db: &mut PgConnection,
    mode: &str,
    user_id: Uuid,
    kind: &str,
) -> Result<Option<OpenCheckout>, sqlx::Error> {
    sqlx::query_as!(
        OpenCheckout,
        "SELECT s.id, s.url, s.price_id FROM checkout_sessions s
         WHERE s.mode = $1 AND s.user_id = $2 AND s.kind = $3 AND s.closed_at IS NULL
               AND s.expires_at > now() + interval '10 minutes'
               AND NOT EXISTS (SELECT 1 FROM purchases p
                               WHERE p.mode = s.mode AND p.checkout_id = s.id)
         ORDER BY s.created_at DESC LIMIT 1",
        mode,
        user_id,
        kind
    )
    .fetch_optional(db)
    .await
}

pub struct NewCheckout<'a> {
    pub mode: &'a str,
    pub id: &'a str,
    pub user_id: Uuid,
    pub kind: &'a str,
    pub product_id: Option<Uuid>,
    pub price_id: Option<&'a str>,
    pub url: &'a str,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert_checkout(
    db: &mut PgConnection,
    c: &NewCheckout<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO checkout_sessions
           (mode, id, user_id, kind, product_id, price_id, url, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
        c.mode,
        c.id,
        c.user_id,
        c.kind,
        c.product_id,
        c.price_id,
        c.url,
        c.expires_at as _
    )
    .execute(db)
    .await
    .map(drop)
}

pub async fn close_checkout(
    db: &mut PgConnection,
    mode: &str,
    id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE checkout_sessions SET closed_at = now() WHERE mode = $1 AND id = $2",
        mode,
        id
    )
    .execute(db)
    .await
    .map(drop)
}

/// Units of a product sold, plus those held by other members' open sessions: what stops a
/// ticket from being sold twice over.
pub async fn units_taken(
    db: &mut PgConnection,
    mode: &str,
    product_id: Uuid,
    except_user: Uuid,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT
             (SELECT count(*) FROM purchases WHERE mode = $1 AND product_id = $2)
           + (SELECT count(*) FROM checkout_sessions s
              WHERE s.mode = $1 AND s.product_id = $2 AND s.user_id <> $3
                    AND s.closed_at IS NULL AND s.expires_at > now()
                    AND NOT EXISTS (SELECT 1 FROM purchases p
                                    WHERE p.mode = s.mode AND p.checkout_id = s.id))
           AS "taken!""#,
        mode,
        product_id,
        except_user
    )
    .fetch_one(db)
    .await
}

/// Whether this Checkout Session is the member's and what it was for.
pub async fn checkout_of_member(
    db: impl PgExecutor<'_>,
    mode: &str,
    id: &str,
    user_id: Uuid,
) -> Result<Option<(String, Option<Uuid>)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT kind, product_id FROM checkout_sessions
         WHERE mode = $1 AND id = $2 AND user_id = $3",
        mode,
        id,
        user_id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.kind, r.product_id)))
}

/// Whether the webhook for this Checkout Session has been applied.
pub async fn purchase_recorded(
    db: impl PgExecutor<'_>,
    mode: &str,
    checkout_id: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM purchases WHERE mode = $1 AND checkout_id = $2)
           AS "exists!""#,
        mode,
        checkout_id
    )
    .fetch_one(db)
    .await
}
