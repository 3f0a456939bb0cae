//! Push: make Stripe match Paydesk for one product.

use super::detail;
use crate::model::{AppError, PriceDetail, ProductDetail};
use crate::server::billing::settings::payment_error;
use crate::server::db::catalog as db;
use crate::server::error::OrInternal;
use crate::server::stripe::{PricePush, ProductPush, RemotePrice, StripeApi, StripeFailure};
use sqlx::PgPool;
use uuid::Uuid;

/// The price Stripe should show first: the first active one (monthly before yearly).
pub(super) fn default_price(p: &ProductDetail) -> Option<&PriceDetail> {
    p.active_prices().next()
}

fn product_push(p: &ProductDetail) -> ProductPush<'_> {
    ProductPush {
        name: &p.name,
        description: &p.description,
        image_url: &p.image_url,
        active: p.active,
        metadata: &p.metadata,
    }
}

/// Makes Stripe match Paydesk for one product: creates what is missing, updates the product,
/// sets the default price, archives what Paydesk archived (and active Stripe prices Paydesk
/// does not know). Safe to run again after a failure part-way.
pub async fn push(pool: &PgPool, api: &StripeApi, id: Uuid) -> Result<ProductDetail, AppError> {
    let product = detail(pool, id).await?;
    for rate in &product.tax_rate_ids {
        if !api.tax_rate_is_active(rate).await.map_err(payment_error)? {
            return Err(AppError::Payment(format!(
                "Stripe has no active tax rate {rate}: create it in Stripe or remove it here."
            )));
        }
    }
    let push = product_push(&product);
    let stripe_id = match &product.stripe_product_id {
        Some(stripe_id) => match api.retrieve_product(stripe_id).await {
            Ok(remote) => {
                let stale: Vec<String> = remote
                    .metadata
                    .keys()
                    .filter(|k| !product.metadata.contains_key(*k))
                    .cloned()
                    .collect();
                api.update_product(stripe_id, &push, &stale)
                    .await
                    .map_err(payment_error)?;
                stripe_id.clone()
            }
            // Deleted in Stripe (or a fresh emulator): make it again.
            Err(StripeFailure::NotFound(_)) => create_product(pool, api, &product).await?,
            Err(e) => return Err(payment_error(e)),
        },
        None => create_product(pool, api, &product).await?,
    };
    let product = detail(pool, id).await?;
    let mut remote_prices = if product.stripe_product_id.as_deref() == Some(stripe_id.as_str()) {
        api.list_prices(&stripe_id).await.map_err(payment_error)?
    } else {
        Vec::new()
    };
    for price in product.active_prices() {
        let known = price
            .stripe_price_id
            .as_ref()
            .is_some_and(|sid| remote_prices.iter().any(|r| &r.id == sid));
        if !known {
            let new_id = api
                .create_price(
                    &stripe_id,
                    &PricePush {
                        currency: price.amount.currency.code(),
                        unit_amount: price.amount.amount_minor,
                        interval: price.interval,
                        interval_count: price.interval_count,
                        lookup_key: None,
                    },
                    &format!("paydesk-price-{}", price.id),
                )
                .await
                .map_err(payment_error)?;
            db::set_price_stripe_id(pool, price.id, &new_id)
                .await
                .or_internal("store stripe price id")?;
            remote_prices.push(RemotePrice {
                id: new_id,
                product_id: stripe_id.clone(),
                currency: price.amount.currency.code().to_owned(),
                unit_amount: Some(price.amount.amount_minor),
                interval: price.interval,
                interval_count: price.interval_count,
                unsupported_interval: None,
                active: true,
                lookup_key: None,
            });
        }
    }
    let product = detail(pool, id).await?;
    if let Some(default) = default_price(&product).and_then(|p| p.stripe_price_id.clone()) {
        api.set_default_price(&stripe_id, &default)
            .await
            .map_err(payment_error)?;
    }
    for remote in &remote_prices {
        let local = product
            .prices
            .iter()
            .find(|p| p.stripe_price_id.as_deref() == Some(remote.id.as_str()));
        let want_active = local.is_some_and(|p| p.active);
        if remote.active != want_active {
            api.set_price_active(&remote.id, want_active)
                .await
                .map_err(payment_error)?;
        }
    }
    db::mark_synced(pool, id).await.or_internal("mark synced")?;
    detail(pool, id).await
}

async fn create_product(
    pool: &PgPool,
    api: &StripeApi,
    product: &ProductDetail,
) -> Result<String, AppError> {
    // A product re-created after a deletion needs a fresh key, or Stripe replays the old one.
    let attempt = product.stripe_product_id.as_deref().unwrap_or("first");
    let stripe_id = api
        .create_product(
            &product_push(product),
            &format!("paydesk-product-{}-{attempt}", product.id),
        )
        .await
        .map_err(payment_error)?;
    db::set_product_stripe_id(pool, product.id, &stripe_id)
        .await
        .or_internal("store stripe product id")?;
    Ok(stripe_id)
}
