//! Invoices as lists and documents read them. Lists are newest first, paged by keyset:
//! `(created, id) < cursor` walks the `(mode, created DESC, id DESC)` indexes.

use crate::server::billing::events::objects::{
    InvoiceDiscount, InvoiceLine, InvoiceTax, TaxIdEntry,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use sqlx::types::Json;
use sqlx::PgExecutor;
use uuid::Uuid;

/// Where a list starts: after this row, or from the newest when `None`.
pub struct After<'a> {
    pub created: DateTime<Utc>,
    pub id: &'a str,
}

impl After<'_> {
    /// A position before every row, so the first page uses the same index condition.
    pub fn start() -> After<'static> {
        After {
            // 9999-12-31T23:59:59Z: later than any row, and within Postgres' range.
            created: DateTime::from_timestamp(253_402_300_799, 0).unwrap_or_default(),
            id: "",
        }
    }
}

#[derive(Debug, Clone)]
pub struct InvoiceRow {
    pub id: String,
    pub number: Option<String>,
    pub status: String,
    pub currency: String,
    pub total: i64,
    pub amount_paid: i64,
    pub amount_refunded: i64,
    pub created: DateTime<Utc>,
    pub period_start: Option<DateTime<Utc>>,
    pub period_end: Option<DateTime<Utc>>,
    pub customer_email: Option<String>,
    pub customer_name: Option<String>,
}

/// A member's invoices in `mode` (drafts are not theirs to see yet).
pub async fn member_page(
    db: impl PgExecutor<'_>,
    mode: &str,
    user_id: Uuid,
    after: &After<'_>,
    limit: i64,
) -> Result<Vec<InvoiceRow>, sqlx::Error> {
    sqlx::query_as!(
        InvoiceRow,
        r#"SELECT i.id, i.number, i.status, i.currency, i.total, i.amount_paid,
                  COALESCE(p.amount_refunded, 0) AS "amount_refunded!",
                  i.created AS "created: DateTime<Utc>",
                  i.period_start AS "period_start: DateTime<Utc>",
                  i.period_end AS "period_end: DateTime<Utc>",
                  i.customer_email, i.customer_name
           FROM customers c
           JOIN invoices i ON i.mode = c.mode AND i.customer_id = c.id
           LEFT JOIN payments p ON p.mode = i.mode AND p.id = i.payment_intent
           WHERE c.mode = $1 AND c.user_id = $2 AND i.status <> 'draft'
             AND (i.created, i.id) < ($3, $4)
           ORDER BY i.created DESC, i.id DESC
           LIMIT $5"#,
        mode,
        user_id,
        after.created as _,
        after.id,
        limit
    )
    .fetch_all(db)
    .await
}

pub struct AdminFilter<'a> {
    /// Only these customers' invoices (those a member search named), or everyone's.
    pub customers: Option<&'a [String]>,
    pub status: &'a str,
    pub currency: &'a str,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

pub async fn admin_page(
    db: impl PgExecutor<'_>,
    mode: &str,
    filter: &AdminFilter<'_>,
    after: &After<'_>,
    limit: i64,
) -> Result<Vec<InvoiceRow>, sqlx::Error> {
    sqlx::query_as!(
        InvoiceRow,
        r#"SELECT i.id, i.number, i.status, i.currency, i.total, i.amount_paid,
                  COALESCE(p.amount_refunded, 0) AS "amount_refunded!",
                  i.created AS "created: DateTime<Utc>",
                  i.period_start AS "period_start: DateTime<Utc>",
                  i.period_end AS "period_end: DateTime<Utc>",
                  COALESCE(u.email, i.customer_email) AS customer_email,
                  COALESCE(u.name, i.customer_name) AS customer_name
           FROM invoices i
           LEFT JOIN customers c ON c.mode = i.mode AND c.id = i.customer_id
           LEFT JOIN users u ON u.id = c.user_id
           LEFT JOIN payments p ON p.mode = i.mode AND p.id = i.payment_intent
           WHERE i.mode = $1
             AND ($2::text[] IS NULL OR i.customer_id = ANY($2))
             AND ($3 = '' OR i.status = $3)
             AND ($4 = '' OR i.currency = $4)
             AND ($5::date IS NULL OR i.created >= $5::date)
             AND ($6::date IS NULL OR i.created < $6::date + 1)
             AND (i.created, i.id) < ($7, $8)
           ORDER BY i.created DESC, i.id DESC
           LIMIT $9"#,
        mode,
        filter.customers,
        filter.status,
        filter.currency,
        filter.from as _,
        filter.to as _,
        after.created as _,
        after.id,
        limit
    )
    .fetch_all(db)
    .await
}

/// `%`, `_` and `\` typed in a search are matched as themselves.
pub fn escape_like(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Everything an invoice's PDF shows, and whose it is.
#[derive(Debug, Clone)]
pub struct InvoiceDocRow {
    pub id: String,
    pub owner: Option<Uuid>,
    pub number: Option<String>,
    pub status: String,
    pub currency: String,
    pub subtotal: i64,
    pub total: i64,
    pub amount_paid: i64,
    pub created: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub due_date: Option<DateTime<Utc>>,
    pub period_start: Option<DateTime<Utc>>,
    pub period_end: Option<DateTime<Utc>>,
    pub payment_intent: Option<String>,
    pub hosted_invoice_url: Option<String>,
    pub lines: Json<Vec<InvoiceLine>>,
    pub discounts: Json<Vec<InvoiceDiscount>>,
    pub tax_lines: Json<Vec<InvoiceTax>>,
    pub customer_name: Option<String>,
    pub customer_email: Option<String>,
    pub customer_address: Option<Value>,
    pub customer_tax_ids: Json<Vec<TaxIdEntry>>,
    /// The member's own name and email, for invoices Stripe made before it knew them.
    pub member_name: Option<String>,
    pub member_email: Option<String>,
}

pub async fn document(
    db: impl PgExecutor<'_>,
    mode: &str,
    id: &str,
) -> Result<Option<InvoiceDocRow>, sqlx::Error> {
    sqlx::query_as!(
        InvoiceDocRow,
        r#"SELECT i.id, c.user_id AS "owner?", i.number, i.status, i.currency, i.subtotal,
                  i.total, i.amount_paid,
                  i.created AS "created: DateTime<Utc>",
                  i.paid_at AS "paid_at: DateTime<Utc>",
                  i.due_date AS "due_date: DateTime<Utc>",
                  i.period_start AS "period_start: DateTime<Utc>",
                  i.period_end AS "period_end: DateTime<Utc>",
                  i.payment_intent, i.hosted_invoice_url,
                  i.lines AS "lines: Json<Vec<InvoiceLine>>",
                  i.discounts AS "discounts: Json<Vec<InvoiceDiscount>>",
                  i.tax_lines AS "tax_lines: Json<Vec<InvoiceTax>>",
                  i.customer_name, i.customer_email, i.customer_address,
                  i.customer_tax_ids AS "customer_tax_ids: Json<Vec<TaxIdEntry>>",
                  u.name AS "member_name?", u.email AS "member_email?"
           FROM invoices i
           LEFT JOIN customers c ON c.mode = i.mode AND c.id = i.customer_id
           LEFT JOIN users u ON u.id = c.user_id
           WHERE i.mode = $1 AND i.id = $2"#,
        mode,
        id
    )
    .fetch_optional(db)
    .await
}

#[derive(Debug, Clone)]
pub struct TaxRateRow {
    pub id: String,
    pub display_name: String,
    pub percentage: String,
    pub inclusive: bool,
    pub jurisdiction: Option<String>,
    pub country: Option<String>,
    pub state: Option<String>,
}

pub async fn tax_rates(
    db: impl PgExecutor<'_>,
    mode: &str,
    ids: &[String],
) -> Result<Vec<TaxRateRow>, sqlx::Error> {
    sqlx::query_as!(
        TaxRateRow,
        "SELECT id, display_name, percentage, inclusive, jurisdiction, country, state
         FROM tax_rates WHERE mode = $1 AND id = ANY($2)",
        mode,
        ids
    )
    .fetch_all(db)
    .await
}

#[derive(Debug, Clone)]
pub struct RefundRow {
    pub id: String,
    pub amount: i64,
    pub status: String,
    pub reason: Option<String>,
    pub created: DateTime<Utc>,
}

/// A payment's refunds that went through or may still, oldest first.
pub async fn refunds_of(
    db: impl PgExecutor<'_>,
    mode: &str,
    payment_id: &str,
) -> Result<Vec<RefundRow>, sqlx::Error> {
    sqlx::query_as!(
        RefundRow,
        r#"SELECT id, amount, status, reason, created AS "created: DateTime<Utc>"
           FROM refunds
           WHERE mode = $1 AND payment_id = $2 AND status IN ('succeeded', 'pending')
           ORDER BY created, id"#,
        mode,
        payment_id
    )
    .fetch_all(db)
    .await
}

#[derive(Debug, Clone, Default)]
pub struct ProfileRow {
    pub name: String,
    pub email: String,
    pub address: String,
    pub tax_id: String,
    pub logo_png: Option<Vec<u8>>,
}

/// The seller block of Paydesk's invoices.
pub async fn profile(db: impl PgExecutor<'_>) -> Result<ProfileRow, sqlx::Error> {
    sqlx::query_as!(
        ProfileRow,
        "SELECT name, email, address, tax_id, logo_png FROM invoice_profile"
    )
    .fetch_one(db)
    .await
}

pub async fn save_profile(
    db: impl PgExecutor<'_>,
    profile: &ProfileRow,
    replace_logo: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE invoice_profile SET name = $1, email = $2, address = $3, tax_id = $4,
             logo_png = CASE WHEN $6 THEN $5 ELSE logo_png END, updated_at = now()",
        profile.name,
        profile.email,
        profile.address,
        profile.tax_id,
        profile.logo_png,
        replace_logo
    )
    .execute(db)
    .await
    .map(drop)
}
