//! Push (Paydesk -> Stripe), drift detection, and import (Stripe -> Paydesk).

use super::detail;
use crate::model::{
    AppError, ImportReport, PriceDetail, ProductDetail, ProductKind, ProductSync, SyncState,
};
use crate::server::billing::settings::payment_error;
use crate::server::db::catalog::{self as db, PriceFields, ProductFields};
use crate::server::error::OrInternal;
use crate::server::stripe::{
    PricePush, ProductPush, RemotePrice, RemoteProduct, StripeApi, StripeFailure,
};
use sqlx::PgPool;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The price Stripe should show first: the first active one (monthly before yearly).
fn default_price(p: &ProductDetail) -> Option<&PriceDetail> {
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

/// Stripe calls in flight at once while checking a catalog: enough to hide latency, few enough
/// to stay far below Stripe's rate limit (100 reads per second in live mode).
const SYNC_CHECK_CONCURRENCY: usize = 8;

/// [`sync_state`] for every product, several at a time, in the products' order.
pub async fn sync_states(api: &StripeApi, products: Vec<ProductDetail>) -> Vec<ProductSync> {
    use futures::stream::{self, StreamExt};
    // Owned products and a client per future: borrowed ones make the future's type depend on
    // a lifetime the server-function machinery cannot prove `Send` for.
    stream::iter(products)
        .map(|product| {
            let api = api.clone();
            async move {
                ProductSync {
                    product_id: product.id,
                    state: sync_state(&api, &product).await,
                }
            }
        })
        .buffered(SYNC_CHECK_CONCURRENCY)
        .collect()
        .await
}

/// Compares one product with Stripe.
pub async fn sync_state(api: &StripeApi, product: &ProductDetail) -> SyncState {
    let Some(stripe_id) = &product.stripe_product_id else {
        return SyncState::NotPushed;
    };
    let remote = match api.retrieve_product(stripe_id).await {
        Ok(remote) => remote,
        Err(StripeFailure::NotFound(_)) => {
            return SyncState::OutOfSync(vec![format!("Stripe has no product {stripe_id}.")])
        }
        Err(e) => return SyncState::Unknown(e.to_string()),
    };
    let prices = match api.list_prices(stripe_id).await {
        Ok(prices) => prices,
        Err(e) => return SyncState::Unknown(e.to_string()),
    };
    let mut diffs = differences(product, &remote, &prices);
    for rate in &product.tax_rate_ids {
        match api.tax_rate_is_active(rate).await {
            Ok(true) => {}
            Ok(false) => diffs.push(format!("Stripe has no active tax rate {rate}")),
            Err(e) => return SyncState::Unknown(e.to_string()),
        }
    }
    if diffs.is_empty() {
        SyncState::InSync
    } else {
        SyncState::OutOfSync(diffs)
    }
}

/// What differs between Paydesk's product and Stripe's, one readable line each.
pub fn differences(
    local: &ProductDetail,
    remote: &RemoteProduct,
    remote_prices: &[RemotePrice],
) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = |name: &str, ours: &str, theirs: &str| {
        if ours != theirs {
            out.push(format!(
                "{name}: Paydesk has \"{ours}\", Stripe has \"{theirs}\""
            ));
        }
    };
    field("Name", &local.name, &remote.name);
    field("Description", &local.description, &remote.description);
    field("Image", &local.image_url, &remote.image_url);
    field(
        "Status",
        if local.active { "active" } else { "archived" },
        if remote.active { "active" } else { "archived" },
    );
    if local.metadata != remote.metadata {
        out.push(format!(
            "Metadata: Paydesk has {}, Stripe has {}",
            show_map(&local.metadata),
            show_map(&remote.metadata)
        ));
    }
    for price in &local.prices {
        let Some(sid) = &price.stripe_price_id else {
            if price.active {
                out.push(format!("Price {} is not in Stripe yet", price.amount));
            }
            continue;
        };
        match remote_prices.iter().find(|r| &r.id == sid) {
            None if price.active => out.push(format!("Stripe has no price {sid}")),
            None => {}
            Some(r) => {
                if r.unit_amount != Some(price.amount.amount_minor)
                    || r.currency != price.amount.currency.code()
                    || r.interval != price.interval
                {
                    out.push(format!("Price {sid} differs in Stripe"));
                }
                if r.active != price.active {
                    out.push(format!(
                        "Price {sid} is {} in Stripe but {} in Paydesk",
                        if r.active { "active" } else { "archived" },
                        if price.active { "active" } else { "archived" }
                    ));
                }
            }
        }
    }
    for r in remote_prices.iter().filter(|r| r.active) {
        if !local
            .prices
            .iter()
            .any(|p| p.stripe_price_id.as_deref() == Some(r.id.as_str()))
        {
            out.push(format!(
                "Stripe has an active price Paydesk does not: {} (fix archives it; import links it)",
                r.id
            ));
        }
    }
    // Stripe's default price only matters when it points at a price Paydesk no longer sells.
    if let Some(default) = &remote.default_price {
        let sold = local
            .active_prices()
            .any(|p| p.stripe_price_id.as_deref() == Some(default.as_str()));
        if !sold {
            out.push(format!(
                "Default price: Stripe shows {default}, which Paydesk does not sell"
            ));
        }
    }
    out
}

fn show_map(m: &BTreeMap<String, String>) -> String {
    if m.is_empty() {
        return "none".into();
    }
    m.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Currency, Money, PlanInterval};

    fn local() -> ProductDetail {
        ProductDetail {
            id: Uuid::nil(),
            kind: ProductKind::Plan,
            name: "Pro".into(),
            description: String::new(),
            image_url: String::new(),
            active: true,
            stripe_product_id: Some("prod_1".into()),
            metadata: BTreeMap::new(),
            tax_rate_ids: Vec::new(),
            prices: vec![PriceDetail {
                id: Uuid::nil(),
                amount: Money::new(2900, Currency::parse("usd").expect("usd")),
                interval: Some(PlanInterval::Month),
                interval_count: 1,
                active: true,
                stripe_price_id: Some("price_1".into()),
            }],
            synced_at: None,
        }
    }

    fn remote() -> (RemoteProduct, Vec<RemotePrice>) {
        (
            RemoteProduct {
                id: "prod_1".into(),
                name: "Pro".into(),
                description: String::new(),
                image_url: String::new(),
                active: true,
                metadata: BTreeMap::new(),
                default_price: Some("price_1".into()),
            },
            vec![RemotePrice {
                id: "price_1".into(),
                product_id: "prod_1".into(),
                currency: "usd".into(),
                unit_amount: Some(2900),
                interval: Some(PlanInterval::Month),
                interval_count: 1,
                unsupported_interval: None,
                active: true,
                lookup_key: None,
            }],
        )
    }

    #[test]
    fn identical_products_have_no_differences() {
        let (product, prices) = remote();
        assert!(differences(&local(), &product, &prices).is_empty());
    }

    #[test]
    fn each_kind_of_drift_is_named() {
        let (mut product, mut prices) = remote();
        product.name = "Pro!".into();
        product.active = false;
        product.metadata.insert("k".into(), "v".into());
        prices[0].active = false;
        let mut extra = prices[0].clone();
        extra.id = "price_2".into();
        extra.active = true;
        prices.push(extra);
        product.default_price = Some("price_2".into());
        let diffs = differences(&local(), &product, &prices);
        let expected = [
            "Name: Paydesk has \"Pro\", Stripe has \"Pro!\"",
            "Status: Paydesk has \"active\", Stripe has \"archived\"",
            "Metadata: Paydesk has none, Stripe has k=v",
            "Price price_1 is archived in Stripe but active in Paydesk",
            "Stripe has an active price Paydesk does not: price_2 (fix archives it; import links it)",
            "Default price: Stripe shows price_2, which Paydesk does not sell",
        ];
        assert_eq!(diffs, expected);
    }

    #[test]
    fn a_price_missing_from_stripe_is_reported() {
        let mut product = local();
        product.prices[0].stripe_price_id = None;
        let (remote_product, _) = remote();
        let diffs = differences(&product, &remote_product, &[]);
        assert!(
            diffs.contains(&"Price $29.00 is not in Stripe yet".to_owned()),
            "{diffs:?}"
        );
    }
}
