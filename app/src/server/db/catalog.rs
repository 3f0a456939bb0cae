use crate::model::{Currency, Money, PlanInterval, PriceSummary, ProductKind, ProductSummary};
use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Products of one mode with their active prices, monthly before yearly, cheapest first.
pub async fn list_products(
    pool: &PgPool,
    mode: &str,
    only_active: bool,
) -> Result<Vec<ProductSummary>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT p.id, p.name, p.description, p.kind, p.active,
                  pr.currency AS "currency?", pr.unit_amount AS "unit_amount?",
                  pr.recurring_interval AS "recurring_interval?"
           FROM products p
           LEFT JOIN prices pr ON pr.product_id = p.id AND pr.active
           WHERE p.mode = $1 AND (p.active OR NOT $2)
           ORDER BY p.created_at, p.id,
                    pr.recurring_interval NULLS FIRST, pr.currency, pr.unit_amount"#,
        mode,
        only_active
    )
    .fetch_all(pool)
    .await?;

    let mut order: Vec<Uuid> = Vec::new();
    let mut products: BTreeMap<Uuid, ProductSummary> = BTreeMap::new();
    for row in rows {
        let kind = ProductKind::parse(&row.kind)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown kind {}", row.kind).into()))?;
        let product = products.entry(row.id).or_insert_with(|| {
            order.push(row.id);
            ProductSummary {
                name: row.name,
                description: row.description,
                kind,
                active: row.active,
                prices: Vec::new(),
            }
        });
        if let (Some(currency), Some(amount)) = (row.currency, row.unit_amount) {
            let currency = Currency::parse(&currency).map_err(|e| sqlx::Error::Decode(e.into()))?;
            product.prices.push(PriceSummary {
                amount: Money::new(amount, currency),
                interval: row
                    .recurring_interval
                    .as_deref()
                    .and_then(PlanInterval::parse),
            });
        }
    }
    Ok(order
        .into_iter()
        .filter_map(|id| products.remove(&id))
        .collect())
}

pub struct NewPrice<'a> {
    pub currency: &'a str,
    pub unit_amount: i64,
    pub interval: Option<&'a str>,
}

/// A product to seed, with its Stripe metadata (top-ups: `accountType`, `interval`; tickets:
/// `capacity`) and prices.
pub struct SeedProduct<'a> {
    pub mode: &'a str,
    pub kind: ProductKind,
    pub name: &'a str,
    pub description: &'a str,
    pub metadata: serde_json::Value,
    pub prices: Vec<NewPrice<'a>>,
}

/// Inserts a product with its prices in one transaction, unless a product of that name exists.
pub async fn insert_product_if_absent(
    pool: &PgPool,
    product: &SeedProduct<'_>,
) -> Result<bool, sqlx::Error> {
    let SeedProduct {
        mode,
        kind,
        name,
        description,
        metadata,
        prices,
    } = product;
    let mut tx = pool.begin().await?;
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM products WHERE mode = $1 AND name = $2) AS "exists!""#,
        mode,
        name
    )
    .fetch_one(&mut *tx)
    .await?;
    if exists {
        return Ok(false);
    }
    let product_id = sqlx::query_scalar!(
        "INSERT INTO products (mode, kind, name, description, metadata)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        mode,
        kind.as_str(),
        name,
        description,
        metadata
    )
    .fetch_one(&mut *tx)
    .await?;
    for price in prices.iter() {
        sqlx::query!(
            "INSERT INTO prices (product_id, mode, currency, unit_amount, recurring_interval)
             VALUES ($1, $2, $3, $4, $5)",
            product_id,
            mode,
            price.currency,
            price.unit_amount,
            price.interval
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Columns of a product, as the editor and the sync need them.
pub struct ProductRow {
    pub id: Uuid,
    pub mode: String,
    pub kind: String,
    pub name: String,
    pub description: String,
    pub image_url: String,
    pub active: bool,
    pub stripe_product_id: Option<String>,
    pub metadata: serde_json::Value,
    pub tax_rate_ids: Vec<String>,
    pub synced_at: Option<DateTime<Utc>>,
}

pub struct PriceRow {
    pub id: Uuid,
    pub product_id: Uuid,
    pub currency: String,
    pub unit_amount: i64,
    pub recurring_interval: Option<String>,
    pub interval_count: i32,
    pub active: bool,
    pub stripe_price_id: Option<String>,
}

pub async fn products_of_mode(
    db: impl PgExecutor<'_>,
    mode: &str,
) -> Result<Vec<ProductRow>, sqlx::Error> {
    sqlx::query_as!(
        ProductRow,
        r#"SELECT id, mode, kind, name, description, image_url, active, stripe_product_id,
                  metadata, tax_rate_ids, synced_at AS "synced_at: DateTime<Utc>"
           FROM products WHERE mode = $1 ORDER BY active DESC, created_at, id"#,
        mode
    )
    .fetch_all(db)
    .await
}

pub async fn product(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<ProductRow>, sqlx::Error> {
    sqlx::query_as!(
        ProductRow,
        r#"SELECT id, mode, kind, name, description, image_url, active, stripe_product_id,
                  metadata, tax_rate_ids, synced_at AS "synced_at: DateTime<Utc>"
           FROM products WHERE id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
}

pub async fn product_by_stripe_id(
    db: impl PgExecutor<'_>,
    mode: &str,
    stripe_product_id: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM products WHERE mode = $1 AND stripe_product_id = $2",
        mode,
        stripe_product_id
    )
    .fetch_optional(db)
    .await
}

/// Every price of the given products, oldest first.
pub async fn prices_of(
    db: impl PgExecutor<'_>,
    product_ids: &[Uuid],
) -> Result<Vec<PriceRow>, sqlx::Error> {
    sqlx::query_as!(
        PriceRow,
        "SELECT id, product_id, currency, unit_amount, recurring_interval, interval_count,
                active, stripe_price_id
         FROM prices WHERE product_id = ANY($1)
         ORDER BY recurring_interval NULLS FIRST, currency, created_at, id",
        product_ids
    )
    .fetch_all(db)
    .await
}

pub async fn price_by_stripe_id(
    db: impl PgExecutor<'_>,
    mode: &str,
    stripe_price_id: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM prices WHERE mode = $1 AND stripe_price_id = $2",
        mode,
        stripe_price_id
    )
    .fetch_optional(db)
    .await
}

pub struct ProductFields<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub image_url: &'a str,
    pub metadata: &'a serde_json::Value,
    pub tax_rate_ids: &'a [String],
}

pub async fn insert_product(
    db: impl PgExecutor<'_>,
    mode: &str,
    f: &ProductFields<'_>,
    stripe_product_id: Option<&str>,
) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO products (mode, kind, name, description, image_url, metadata,
                               tax_rate_ids, stripe_product_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        mode,
        f.kind,
        f.name,
        f.description,
        f.image_url,
        f.metadata,
        f.tax_rate_ids,
        stripe_product_id
    )
    .fetch_one(db)
    .await
}

pub async fn update_product(
    db: impl PgExecutor<'_>,
    id: Uuid,
    f: &ProductFields<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE products SET kind = $2, name = $3, description = $4, image_url = $5,
                             metadata = $6, tax_rate_ids = $7, updated_at = now()
         WHERE id = $1",
        id,
        f.kind,
        f.name,
        f.description,
        f.image_url,
        f.metadata,
        f.tax_rate_ids
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn set_product_active(
    db: impl PgExecutor<'_>,
    id: Uuid,
    active: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE products SET active = $2, updated_at = now() WHERE id = $1",
        id,
        active
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn set_product_stripe_id(
    db: impl PgExecutor<'_>,
    id: Uuid,
    stripe_product_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE products SET stripe_product_id = $2 WHERE id = $1",
        id,
        stripe_product_id
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn mark_synced(db: impl PgExecutor<'_>, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!("UPDATE products SET synced_at = now() WHERE id = $1", id)
        .execute(db)
        .await?;
    Ok(())
}

pub struct PriceFields<'a> {
    pub currency: &'a str,
    pub unit_amount: i64,
    pub interval: Option<&'a str>,
    pub interval_count: i32,
    pub active: bool,
    pub stripe_price_id: Option<&'a str>,
}

pub async fn insert_price(
    db: impl PgExecutor<'_>,
    product_id: Uuid,
    mode: &str,
    p: &PriceFields<'_>,
) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO prices (product_id, mode, currency, unit_amount, recurring_interval,
                             interval_count, active, stripe_price_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        product_id,
        mode,
        p.currency,
        p.unit_amount,
        p.interval,
        p.interval_count,
        p.active,
        p.stripe_price_id
    )
    .fetch_one(db)
    .await
}

/// Archives a price, naming its successor when an amount change replaced it.
pub async fn archive_price(
    db: impl PgExecutor<'_>,
    id: Uuid,
    replaced_by: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE prices SET active = false, replaced_by = $2 WHERE id = $1",
        id,
        replaced_by
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn set_price_stripe_id(
    db: impl PgExecutor<'_>,
    id: Uuid,
    stripe_price_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE prices SET stripe_price_id = $2 WHERE id = $1",
        id,
        stripe_price_id
    )
    .execute(db)
    .await?;
    Ok(())
}
