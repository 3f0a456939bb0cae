use crate::model::{Currency, Money, PlanInterval, PriceSummary, ProductKind, ProductSummary};
use sqlx::PgPool;
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

/// Inserts a product with its prices in one transaction, unless a product of that name exists.
pub async fn insert_product_if_absent(
    pool: &PgPool,
    mode: &str,
    kind: ProductKind,
    name: &str,
    description: &str,
    prices: &[NewPrice<'_>],
) -> Result<bool, sqlx::Error> {
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
        "INSERT INTO products (mode, kind, name, description) VALUES ($1, $2, $3, $4) RETURNING id",
        mode,
        kind.as_str(),
        name,
        description
    )
    .fetch_one(&mut *tx)
    .await?;
    for price in prices {
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
