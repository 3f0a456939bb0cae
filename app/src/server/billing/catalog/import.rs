//! Import: link Stripe's products and prices into Paydesk.

use crate::model::{AppError, ImportReport, ProductKind};
use crate::server::billing::settings::payment_error;
use crate::server::db::catalog::{self as db, PriceFields, ProductFields};
use crate::server::error::OrInternal;
use crate::server::stripe::{RemotePrice, RemoteProduct, StripeApi, StripeFailure};
use sqlx::PgPool;

/// Links every Stripe product and price of the key's mode into Paydesk: unknown products are
/// created (with their metadata), unknown prices of known products are added.
pub async fn import_all(pool: &PgPool, api: &StripeApi) -> Result<ImportReport, AppError> {
    import_all_with_progress(pool, api, |_, _, _| {}).await
}

/// [`import_all`], calling `progress(done, total, product name)` after each product.
pub async fn import_all_with_progress(
    pool: &PgPool,
    api: &StripeApi,
    mut progress: impl FnMut(usize, usize, &str),
) -> Result<ImportReport, AppError> {
    let mut report = ImportReport::default();
    let products = api.list_products().await.map_err(payment_error)?;
    for (i, remote) in products.iter().enumerate() {
        let prices = api.list_prices(&remote.id).await.map_err(payment_error)?;
        import_product(pool, api, remote, &prices, &mut report).await?;
        progress(i + 1, products.len(), &remote.name);
    }
    Ok(report)
}

/// Links one price typed in by its `price_...` ID, importing its product if needed.
pub async fn link_price(
    pool: &PgPool,
    api: &StripeApi,
    price_id: &str,
) -> Result<ImportReport, AppError> {
    let price_id = price_id.trim();
    if !price_id.starts_with("price_") {
        return Err(AppError::validation(
            "price_id",
            "A Stripe price ID starts with price_.",
        ));
    }
    let price = api.retrieve_price(price_id).await.map_err(|e| match e {
        StripeFailure::NotFound(_) => {
            AppError::validation("price_id", format!("Stripe has no price {price_id}."))
        }
        other => payment_error(other),
    })?;
    let product = api
        .retrieve_product(&price.product_id)
        .await
        .map_err(payment_error)?;
    let mut report = ImportReport::default();
    import_product(pool, api, &product, &[price], &mut report).await?;
    Ok(report)
}

async fn import_product(
    pool: &PgPool,
    api: &StripeApi,
    remote: &RemoteProduct,
    prices: &[RemotePrice],
    report: &mut ImportReport,
) -> Result<(), AppError> {
    let mode = api.mode().as_str();
    let kind = if remote.metadata.contains_key("accountType") {
        ProductKind::TopUp
    } else if prices.iter().any(|p| p.interval.is_some()) {
        ProductKind::Plan
    } else {
        ProductKind::OneTime
    };
    let mut tx = pool.begin().await.or_internal("begin import")?;
    let id = match db::product_by_stripe_id(&mut *tx, mode, &remote.id)
        .await
        .or_internal("find product")?
    {
        Some(id) => id,
        None => {
            let metadata = serde_json::to_value(&remote.metadata).or_internal("encode metadata")?;
            let id = db::insert_product(
                &mut *tx,
                mode,
                &ProductFields {
                    kind: kind.as_str(),
                    name: &remote.name,
                    description: &remote.description,
                    image_url: &remote.image_url,
                    metadata: &metadata,
                    tax_rate_ids: &[],
                },
                Some(&remote.id),
            )
            .await
            .or_internal("insert imported product")?;
            if !remote.active {
                db::set_product_active(&mut *tx, id, false)
                    .await
                    .or_internal("archive imported product")?;
            }
            report.products_created.push(remote.name.clone());
            id
        }
    };
    let existing = db::prices_of(&mut *tx, &[id])
        .await
        .or_internal("load prices")?;
    for price in prices {
        if existing
            .iter()
            .any(|p| p.stripe_price_id.as_deref() == Some(price.id.as_str()))
        {
            continue;
        }
        let (Some(amount), None) = (price.unit_amount, &price.unsupported_interval) else {
            report.skipped.push(format!(
                "{}: only fixed monthly, yearly and one-time prices are supported",
                price.id
            ));
            continue;
        };
        if kind == ProductKind::Plan && price.interval.is_none() {
            report
                .skipped
                .push(format!("{}: a one-time price on a plan", price.id));
            continue;
        }
        let interval = price.interval.map(|i| i.as_str());
        let duplicate = price.active
            && existing.iter().any(|p| {
                p.active
                    && p.currency == price.currency
                    && p.recurring_interval.as_deref() == interval
            });
        if duplicate {
            report.skipped.push(format!(
                "{}: Paydesk already has an active {} {} price for {}",
                price.id,
                interval.unwrap_or("one-time"),
                price.currency.to_ascii_uppercase(),
                remote.name
            ));
            continue;
        }
        db::insert_price(
            &mut *tx,
            id,
            mode,
            &PriceFields {
                currency: &price.currency,
                unit_amount: amount,
                interval,
                interval_count: price.interval_count,
                active: price.active,
                stripe_price_id: Some(&price.id),
            },
        )
        .await
        .or_internal("insert imported price")?;
        report.prices_linked += 1;
    }
    db::mark_synced(&mut *tx, id)
        .await
        .or_internal("mark synced")?;
    tx.commit().await.or_internal("commit import")?;
    Ok(())
}
