//! What Stripe's events leave behind: the versioned objects and their typed projections.

use crate::server::billing::events::objects::{
    Charge, Customer, Invoice, PaymentIntent, PaymentMethod, Refund, Subscription,
};
use crate::server::billing::recurring::DiscountTerms;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct StoredObject {
    pub object: serde_json::Value,
    pub previous: Option<serde_json::Value>,
    pub event_created: i64,
    pub rank: i64,
}

/// The stored state of each `(mode, id)` there is one for.
pub async fn stored_objects(
    db: &mut PgConnection,
    keys: &[(String, String)],
) -> Result<HashMap<(String, String), StoredObject>, sqlx::Error> {
    let modes: Vec<&str> = keys.iter().map(|(m, _)| m.as_str()).collect();
    let ids: Vec<&str> = keys.iter().map(|(_, i)| i.as_str()).collect();
    let rows = sqlx::query!(
        "SELECT mode, id, object, previous, event_created, rank FROM stripe_objects
         WHERE (mode, id) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
        &modes[..] as &[&str],
        &ids[..] as &[&str]
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let stored = StoredObject {
                object: r.object,
                previous: r.previous,
                event_created: r.event_created,
                rank: r.rank,
            };
            ((r.mode, r.id), stored)
        })
        .collect())
}

pub async fn stored_object(
    db: &mut PgConnection,
    mode: &str,
    id: &str,
) -> Result<Option<StoredObject>, sqlx::Error> {
    sqlx::query_as!(
        StoredObject,
        "SELECT object, previous, event_created, rank FROM stripe_objects
         WHERE mode = $1 AND id = $2",
        mode,
        id
    )
    .fetch_optional(db)
    .await
}

pub struct NewObject<'a> {
    pub mode: &'a str,
    pub id: &'a str,
    pub kind: &'a str,
    pub object: &'a serde_json::Value,
    pub previous: Option<&'a serde_json::Value>,
    pub event_created: i64,
    pub rank: i64,
}

pub async fn put_object(db: &mut PgConnection, o: &NewObject<'_>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO stripe_objects (mode, id, kind, object, previous, event_created, rank)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (mode, id) DO UPDATE
         SET object = excluded.object, previous = excluded.previous,
             event_created = excluded.event_created, rank = excluded.rank, updated_at = now()",
        o.mode,
        o.id,
        o.kind,
        o.object,
        o.previous,
        o.event_created,
        o.rank
    )
    .execute(db)
    .await
    .map(drop)
}

/// Makes sure a customer row exists, so rows naming it can be stored before its own event.
pub async fn ensure_customer(
    db: &mut PgConnection,
    mode: &str,
    id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO customers (mode, id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        mode,
        id
    )
    .execute(db)
    .await
    .map(drop)
}

/// Links a customer to a member, unless it already belongs to one or the member is unknown.
pub async fn link_customer(
    db: &mut PgConnection,
    mode: &str,
    id: &str,
    user_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let linked = sqlx::query!(
        "INSERT INTO customers (mode, id, user_id)
         SELECT $1, $2, u.id FROM users u WHERE u.id = $3
         ON CONFLICT (mode, id) DO UPDATE
         SET user_id = COALESCE(customers.user_id, excluded.user_id), updated_at = now()",
        mode,
        id,
        user_id
    )
    .execute(db)
    .await?;
    Ok(linked.rows_affected() == 1)
}

pub async fn upsert_customer(
    db: &mut PgConnection,
    mode: &str,
    c: &Customer,
) -> Result<(), sqlx::Error> {
    // A deleted customer comes as a stub: keep what was known, mark it deleted.
    sqlx::query!(
        "INSERT INTO customers (mode, id, email, name, address, tax_location, tax_ids,
                                default_payment_method, deleted)
         VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, '[]'::jsonb), $8, $9)
         ON CONFLICT (mode, id) DO UPDATE SET
             email = CASE WHEN $9 THEN customers.email ELSE excluded.email END,
             name = CASE WHEN $9 THEN customers.name ELSE excluded.name END,
             address = CASE WHEN $9 THEN customers.address ELSE excluded.address END,
             tax_location = COALESCE(excluded.tax_location, customers.tax_location),
             tax_ids = COALESCE($7, customers.tax_ids),
             default_payment_method = CASE WHEN $9 THEN customers.default_payment_method
                                           ELSE excluded.default_payment_method END,
             deleted = excluded.deleted,
             updated_at = now()",
        mode,
        c.id,
        c.email,
        c.name,
        c.address,
        c.tax_location,
        c.tax_ids,
        c.default_payment_method,
        c.deleted
    )
    .execute(db)
    .await
    .map(drop)
}

/// Stores a subscription with what it is worth a year (`annual_amount`, after discounts).
pub async fn upsert_subscription(
    db: &mut PgConnection,
    mode: &str,
    s: &Subscription,
    annual_amount: i64,
) -> Result<(), sqlx::Error> {
    // The customer row is made in the same statement if this is the first word of it.
    sqlx::query!(
        "WITH customer AS (INSERT INTO customers (mode, id) VALUES ($1, $3) ON CONFLICT DO NOTHING)
         INSERT INTO subscriptions (mode, id, customer_id, status, price_id, quantity,
             current_period_start, current_period_end, cancel_at_period_end, cancel_at,
             canceled_at, ended_at, trial_end, latest_invoice, created, currency,
             annual_amount, product_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                 COALESCE($15, now()), $16, $17, (SELECT product_id FROM prices WHERE mode = $1 AND stripe_price_id = $5))
         ON CONFLICT (mode, id) DO UPDATE SET
             customer_id = excluded.customer_id, status = excluded.status,
             price_id = excluded.price_id, quantity = excluded.quantity,
             current_period_start = excluded.current_period_start,
             current_period_end = excluded.current_period_end,
             cancel_at_period_end = excluded.cancel_at_period_end,
             cancel_at = excluded.cancel_at, canceled_at = excluded.canceled_at,
             ended_at = excluded.ended_at, trial_end = excluded.trial_end,
             latest_invoice = excluded.latest_invoice,
             created = COALESCE($15, subscriptions.created),
             currency = COALESCE(excluded.currency, subscriptions.currency),
             annual_amount = excluded.annual_amount,
             product_id = COALESCE(excluded.product_id, subscriptions.product_id),
             updated_at = now()",
        mode,
        s.id,
        s.customer_id,
        s.status,
        s.price_id,
        s.quantity,
        s.current_period_start as _,
        s.current_period_end as _,
        s.cancel_at_period_end,
        s.cancel_at as _,
        s.canceled_at as _,
        s.ended_at as _,
        s.trial_end as _,
        s.latest_invoice,
        s.created as _,
        s.currency,
        annual_amount
    )
    .execute(db)
    .await
    .map(drop)
}

/// Stores an invoice; an invoice that is no longer open needs no action from the member.
pub async fn upsert_invoice(
    db: &mut PgConnection,
    mode: &str,
    i: &Invoice,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "WITH customer AS (INSERT INTO customers (mode, id) VALUES ($1, $3) ON CONFLICT DO NOTHING)
         INSERT INTO invoices (mode, id, customer_id, subscription_id, status, number, currency,
             subtotal, tax, total, amount_due, amount_paid, hosted_invoice_url, invoice_pdf,
             created, paid_at, due_date, period_start, period_end, payment_intent, lines,
             discounts, tax_lines, customer_name, customer_email, customer_address,
             customer_tax_ids, attempt_count, next_payment_attempt)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                 $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29)
         ON CONFLICT (mode, id) DO UPDATE SET
             customer_id = excluded.customer_id, subscription_id = excluded.subscription_id,
             status = excluded.status, number = excluded.number, currency = excluded.currency,
             subtotal = excluded.subtotal, tax = excluded.tax, total = excluded.total,
             amount_due = excluded.amount_due, amount_paid = excluded.amount_paid,
             hosted_invoice_url = excluded.hosted_invoice_url,
             invoice_pdf = excluded.invoice_pdf, created = excluded.created,
             paid_at = excluded.paid_at, due_date = excluded.due_date,
             period_start = excluded.period_start, period_end = excluded.period_end,
             payment_intent = COALESCE(excluded.payment_intent, invoices.payment_intent),
             lines = excluded.lines, discounts = excluded.discounts,
             tax_lines = excluded.tax_lines, customer_name = excluded.customer_name,
             customer_email = excluded.customer_email,
             customer_address = excluded.customer_address,
             customer_tax_ids = excluded.customer_tax_ids,
             attempt_count = excluded.attempt_count,
             next_payment_attempt = excluded.next_payment_attempt,
             attention = CASE WHEN excluded.status IN ('open', 'draft')
                              THEN invoices.attention END,
             updated_at = now()",
        mode,
        i.id,
        i.customer_id,
        i.subscription_id,
        i.status,
        i.number,
        i.currency,
        i.subtotal,
        i.tax,
        i.total,
        i.amount_due,
        i.amount_paid,
        i.hosted_invoice_url,
        i.invoice_pdf,
        i.created as _,
        i.paid_at as _,
        i.due_date as _,
        i.period_start as _,
        i.period_end as _,
        i.payment_intent,
        Json(&i.lines) as _,
        Json(&i.discounts) as _,
        Json(&i.tax_lines) as _,
        i.customer_name,
        i.customer_email,
        i.customer_address,
        Json(&i.customer_tax_ids) as _,
        i.attempt_count,
        i.next_payment_attempt as _
    )
    .execute(db)
    .await
    .map(drop)
}

/// Flags an unpaid invoice as waiting for the member: `fix_payment` or `authenticate` (open),
/// `fix_address` (a draft Stripe could not finalize).
pub async fn set_invoice_attention(
    db: &mut PgConnection,
    mode: &str,
    id: &str,
    attention: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE invoices SET attention = $3, updated_at = now()
         WHERE mode = $1 AND id = $2 AND status IN ('open', 'draft')",
        mode,
        id,
        attention
    )
    .execute(db)
    .await
    .map(drop)
}

pub async fn upsert_payment(
    db: &mut PgConnection,
    mode: &str,
    p: &PaymentIntent,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO payments (mode, id, customer_id, status, currency, amount, amount_received,
                               latest_charge, failure_message, created, payment_method)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (mode, id) DO UPDATE SET
             customer_id = excluded.customer_id, status = excluded.status,
             currency = excluded.currency, amount = excluded.amount,
             amount_received = excluded.amount_received, latest_charge = excluded.latest_charge,
             failure_message = excluded.failure_message, created = excluded.created,
             payment_method = COALESCE(excluded.payment_method, payments.payment_method),
             updated_at = now()",
        mode,
        p.id,
        p.customer_id,
        p.status,
        p.currency,
        p.amount,
        p.amount_received,
        p.latest_charge,
        p.failure_message,
        p.created as _,
        p.payment_method
    )
    .execute(db)
    .await
    .map(drop)
}

/// Records what a charge says was refunded of its payment. Refunds only add up, so the
/// larger amount wins whichever event came first.
pub async fn record_refund(
    db: &mut PgConnection,
    mode: &str,
    c: &Charge,
) -> Result<(), sqlx::Error> {
    let Some(payment) = &c.payment_intent else {
        return Ok(());
    };
    sqlx::query!(
        "INSERT INTO payments (mode, id, customer_id, status, currency, amount, amount_received,
                               amount_refunded, latest_charge, created)
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9)
         ON CONFLICT (mode, id) DO UPDATE SET
             amount_refunded = GREATEST(payments.amount_refunded, excluded.amount_refunded),
             updated_at = now()",
        mode,
        payment,
        c.customer_id,
        c.status,
        c.currency,
        c.amount,
        c.amount_refunded,
        c.id,
        c.created as _
    )
    .execute(db)
    .await
    .map(drop)
}

pub async fn upsert_payment_method(
    db: &mut PgConnection,
    mode: &str,
    p: &PaymentMethod,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO payment_methods (mode, id, customer_id, brand, last4, exp_month, exp_year)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (mode, id) DO UPDATE SET
             customer_id = excluded.customer_id, brand = excluded.brand, last4 = excluded.last4,
             exp_month = excluded.exp_month, exp_year = excluded.exp_year, updated_at = now()",
        mode,
        p.id,
        p.customer_id,
        p.brand,
        p.last4,
        p.exp_month,
        p.exp_year
    )
    .execute(db)
    .await
    .map(drop)
}

/// A catalog product as the worker needs it to record a purchase.
pub struct SoldProduct {
    pub id: Uuid,
    pub kind: String,
    pub name: String,
    pub metadata: serde_json::Value,
}

pub async fn product_of_price(
    db: &mut PgConnection,
    mode: &str,
    stripe_price_id: &str,
) -> Result<Option<SoldProduct>, sqlx::Error> {
    sqlx::query_as!(
        SoldProduct,
        "SELECT p.id, p.kind, p.name, p.metadata FROM prices pr
         JOIN products p ON p.id = pr.product_id
         WHERE pr.mode = $1 AND pr.stripe_price_id = $2",
        mode,
        stripe_price_id
    )
    .fetch_optional(db)
    .await
}

pub struct NewPurchase<'a> {
    pub mode: &'a str,
    pub checkout_id: &'a str,
    pub user_id: Option<Uuid>,
    pub customer_id: Option<&'a str>,
    pub kind: &'a str,
    pub product_id: Option<Uuid>,
    pub price_id: Option<&'a str>,
    pub subscription_id: Option<&'a str>,
    pub payment_id: Option<&'a str>,
    pub currency: Option<&'a str>,
    pub amount_total: i64,
    pub created: DateTime<Utc>,
}

/// Records a completed Checkout once; false when it was recorded before.
pub async fn insert_purchase(
    db: &mut PgConnection,
    p: &NewPurchase<'_>,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query!(
        "INSERT INTO purchases (mode, checkout_id, user_id, customer_id, kind, product_id,
                                price_id, subscription_id, payment_id, currency, amount_total,
                                created)
         VALUES ($1, $2, (SELECT id FROM users WHERE id = $3), $4, $5, $6, $7, $8, $9, $10,
                 $11, $12)
         ON CONFLICT DO NOTHING",
        p.mode,
        p.checkout_id,
        p.user_id,
        p.customer_id,
        p.kind,
        p.product_id,
        p.price_id,
        p.subscription_id,
        p.payment_id,
        p.currency,
        p.amount_total,
        p.created as _
    )
    .execute(db)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

pub struct NewCredit<'a> {
    pub mode: &'a str,
    /// The Checkout Session or invoice that paid for it.
    pub source_id: &'a str,
    pub customer_id: &'a str,
    pub product_id: Uuid,
    pub account_type: &'a str,
    pub months: i32,
    pub paid_at: DateTime<Utc>,
}

/// Grants top-up time once per payment; false when this payment granted it before.
pub async fn insert_top_up_credit(
    db: &mut PgConnection,
    c: &NewCredit<'_>,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query!(
        "INSERT INTO top_up_credits (mode, source_id, customer_id, product_id, account_type,
                                     months, paid_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT DO NOTHING",
        c.mode,
        c.source_id,
        c.customer_id,
        c.product_id,
        c.account_type,
        c.months,
        c.paid_at as _
    )
    .execute(db)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Stores a refund as Stripe last described it.
pub async fn upsert_refund(
    db: &mut PgConnection,
    mode: &str,
    r: &Refund,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO refunds (mode, id, payment_id, charge_id, status, currency, amount, reason,
                              created)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (mode, id) DO UPDATE SET
             payment_id = excluded.payment_id, charge_id = excluded.charge_id,
             status = excluded.status, amount = excluded.amount, reason = excluded.reason,
             updated_at = now()",
        mode,
        r.id,
        r.payment_intent,
        r.charge,
        r.status,
        r.currency,
        r.amount,
        r.reason,
        r.created as _
    )
    .execute(db)
    .await
    .map(drop)
}

/// The tax rates among `ids` that Paydesk has not described yet.
pub async fn unknown_tax_rates(
    db: &mut PgConnection,
    mode: &str,
    ids: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT id AS "id!" FROM unnest($2::text[]) AS id
           WHERE NOT EXISTS (SELECT 1 FROM tax_rates t WHERE t.mode = $1 AND t.id = id)"#,
        mode,
        ids
    )
    .fetch_all(db)
    .await
}

pub struct NewTaxRate<'a> {
    pub id: &'a str,
    pub display_name: &'a str,
    pub percentage: &'a str,
    pub inclusive: bool,
    pub jurisdiction: Option<&'a str>,
    pub country: Option<&'a str>,
    pub state: Option<&'a str>,
}

pub async fn put_tax_rate(
    db: &mut PgConnection,
    mode: &str,
    t: &NewTaxRate<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO tax_rates (mode, id, display_name, percentage, inclusive, jurisdiction,
                                country, state)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (mode, id) DO UPDATE SET display_name = excluded.display_name,
             jurisdiction = excluded.jurisdiction, country = excluded.country,
             state = excluded.state",
        mode,
        t.id,
        t.display_name,
        t.percentage,
        t.inclusive,
        t.jurisdiction,
        t.country,
        t.state
    )
    .execute(db)
    .await
    .map(drop)
}

/// Queues the receipt of a paid invoice, once per invoice.
pub async fn enqueue_receipt(
    db: &mut PgConnection,
    mode: &str,
    invoice_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO receipts (mode, invoice_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        mode,
        invoice_id
    )
    .execute(db)
    .await
    .map(drop)
}

/// The terms of the discounts among `ids` that are known; unknown ones are fetched by the
/// worker before a subscription naming them is stored.
pub async fn discount_terms(
    db: &mut PgConnection,
    mode: &str,
    ids: &[String],
) -> Result<Vec<DiscountTerms>, sqlx::Error> {
    sqlx::query_as!(
        DiscountTerms,
        r#"SELECT id, percent_off_bp, amount_off, currency,
                  ends_at AS "ends_at: DateTime<Utc>"
           FROM discount_terms WHERE mode = $1 AND id = ANY($2)"#,
        mode,
        ids
    )
    .fetch_all(db)
    .await
}

pub async fn put_discount_terms(
    db: &mut PgConnection,
    mode: &str,
    terms: &DiscountTerms,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO discount_terms (mode, id, percent_off_bp, amount_off, currency, ends_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        mode,
        terms.id,
        terms.percent_off_bp,
        terms.amount_off,
        terms.currency,
        terms.ends_at as _
    )
    .execute(db)
    .await
    .map(drop)
}
