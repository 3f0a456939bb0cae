//! Plans & products: the editor's rules and the two-way sync with Stripe.
//!
//! Paydesk's database is the source of truth. Saving stores locally first (so nothing typed is
//! lost when Stripe is down), then [`push`] makes Stripe match. Stripe prices are immutable: a
//! changed amount becomes a new price, the old one is archived and keeps its Stripe ID so
//! subscriptions on it still resolve.

mod draft;
mod drift;
mod import;
mod push;

pub use draft::{parse_form, Draft, DraftPrice};
pub use drift::{differences, sync_state, sync_states};
pub use import::{import_all, import_all_with_progress, link_price};
pub use push::push;

use crate::model::{
    AppError, Currency, Money, PlanInterval, PriceDetail, ProductDetail, ProductForm, ProductKind,
};
use crate::server::db::audit::{self, Actor};
use crate::server::db::catalog::{self as db, PriceFields, PriceRow, ProductFields, ProductRow};
use crate::server::error::OrInternal;
use serde_json::json;
use sqlx::PgPool;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Every product of `mode`, with all its prices, for the admin console.
pub async fn list(pool: &PgPool, mode: &str) -> Result<Vec<ProductDetail>, AppError> {
    let products = db::products_of_mode(pool, mode)
        .await
        .or_internal("list products")?;
    let ids: Vec<Uuid> = products.iter().map(|p| p.id).collect();
    let prices = db::prices_of(pool, &ids).await.or_internal("list prices")?;
    products
        .into_iter()
        .map(|p| {
            let own: Vec<&PriceRow> = prices.iter().filter(|r| r.product_id == p.id).collect();
            detail_of(p, own)
        })
        .collect()
}

pub async fn detail(pool: &PgPool, id: Uuid) -> Result<ProductDetail, AppError> {
    let product = db::product(pool, id)
        .await
        .or_internal("load product")?
        .ok_or(AppError::NotFound)?;
    let prices = db::prices_of(pool, &[id])
        .await
        .or_internal("load prices")?;
    detail_of(product, prices.iter().collect())
}

fn detail_of(p: ProductRow, prices: Vec<&PriceRow>) -> Result<ProductDetail, AppError> {
    let kind = ProductKind::parse(&p.kind)
        .ok_or_else(|| anyhow::anyhow!("unknown product kind {}", p.kind))
        .or_internal("read product")?;
    let metadata: BTreeMap<String, String> =
        serde_json::from_value(p.metadata).or_internal("read product metadata")?;
    let prices = prices
        .into_iter()
        .map(|r| {
            let currency = Currency::parse(&r.currency)
                .map_err(anyhow::Error::msg)
                .or_internal("read price currency")?;
            Ok(PriceDetail {
                id: r.id,
                amount: Money::new(r.unit_amount, currency),
                interval: r
                    .recurring_interval
                    .as_deref()
                    .and_then(PlanInterval::parse),
                interval_count: r.interval_count,
                active: r.active,
                stripe_price_id: r.stripe_price_id.clone(),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(ProductDetail {
        id: p.id,
        kind,
        name: p.name,
        description: p.description,
        image_url: p.image_url,
        active: p.active,
        stripe_product_id: p.stripe_product_id,
        metadata,
        tax_rate_ids: p.tax_rate_ids,
        prices,
        synced_at: p.synced_at,
    })
}

/// Creates or updates a product and its prices in Paydesk, with an audit row, in one
/// transaction. Returns the product's id; call [`push`] next to bring Stripe along.
pub async fn save(
    pool: &PgPool,
    mode: &str,
    actor: &Actor<'_>,
    form: &ProductForm,
) -> Result<Uuid, AppError> {
    let existing = match form.id {
        Some(id) => Some(detail(pool, id).await?),
        None => None,
    };
    if let Some(existing) = &existing {
        if existing_mode(pool, existing.id).await? != mode {
            return Err(AppError::Conflict(
                "This product belongs to the other mode; switch modes to edit it.".into(),
            ));
        }
    }
    let draft = parse_form(form, existing.as_ref().map(|p| &p.metadata))?;
    let metadata = serde_json::to_value(&draft.metadata).or_internal("encode metadata")?;
    let fields = ProductFields {
        kind: draft.kind.as_str(),
        name: &draft.name,
        description: &draft.description,
        image_url: &draft.image_url,
        metadata: &metadata,
        tax_rate_ids: &draft.tax_rate_ids,
    };

    let mut tx = pool.begin().await.or_internal("begin product save")?;
    let (id, action) = match &existing {
        Some(p) => {
            db::update_product(&mut *tx, p.id, &fields)
                .await
                .or_internal("update product")?;
            (p.id, "catalog.product.updated")
        }
        None => (
            db::insert_product(&mut *tx, mode, &fields, None)
                .await
                .or_internal("insert product")?,
            "catalog.product.created",
        ),
    };
    let current: Vec<PriceDetail> = existing
        .map(|p| p.prices.into_iter().filter(|p| p.active).collect())
        .unwrap_or_default();
    let mut price_changes = Vec::new();
    for wanted in &draft.prices {
        let same_slot = current
            .iter()
            .find(|p| p.amount.currency == wanted.amount.currency && p.interval == wanted.interval);
        match same_slot {
            Some(p) if p.amount == wanted.amount => {}
            other => {
                let new_id = db::insert_price(
                    &mut *tx,
                    id,
                    mode,
                    &PriceFields {
                        currency: wanted.amount.currency.code(),
                        unit_amount: wanted.amount.amount_minor,
                        interval: wanted.interval.map(PlanInterval::as_str),
                        interval_count: 1,
                        active: true,
                        stripe_price_id: None,
                    },
                )
                .await
                .or_internal("insert price")?;
                if let Some(old) = other {
                    db::archive_price(&mut *tx, old.id, Some(new_id))
                        .await
                        .or_internal("archive replaced price")?;
                    price_changes.push(format!("{} -> {}", old.amount, wanted.amount));
                } else {
                    price_changes.push(format!("added {}", wanted.amount));
                }
            }
        }
    }
    for old in &current {
        let kept = draft
            .prices
            .iter()
            .any(|w| w.amount.currency == old.amount.currency && w.interval == old.interval);
        if !kept {
            db::archive_price(&mut *tx, old.id, None)
                .await
                .or_internal("archive removed price")?;
            price_changes.push(format!("removed {}", old.amount));
        }
    }
    audit::record(
        &mut *tx,
        actor,
        action,
        &id.to_string(),
        json!({ "name": draft.name, "prices": price_changes }),
    )
    .await
    .or_internal("audit product save")?;
    tx.commit().await.or_internal("commit product save")?;
    Ok(id)
}

async fn existing_mode(pool: &PgPool, id: Uuid) -> Result<String, AppError> {
    db::product(pool, id)
        .await
        .or_internal("load product")?
        .map(|p| p.mode)
        .ok_or(AppError::NotFound)
}

/// Archives (hides from members, keeps for existing subscriptions) or restores a product.
pub async fn set_active(
    pool: &PgPool,
    actor: &Actor<'_>,
    id: Uuid,
    active: bool,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await.or_internal("begin archive")?;
    db::product(&mut *tx, id)
        .await
        .or_internal("load product")?
        .ok_or(AppError::NotFound)?;
    db::set_product_active(&mut *tx, id, active)
        .await
        .or_internal("set product active")?;
    let action = if active {
        "catalog.product.restored"
    } else {
        "catalog.product.archived"
    };
    audit::record(&mut *tx, actor, action, &id.to_string(), json!({}))
        .await
        .or_internal("audit archive")?;
    tx.commit().await.or_internal("commit archive")
}
