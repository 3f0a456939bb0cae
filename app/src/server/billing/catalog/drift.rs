//! Drift: how a product in Paydesk differs from the same product in Stripe.

use crate::model::{ProductDetail, ProductSync, SyncState};
use crate::server::stripe::{RemotePrice, RemoteProduct, StripeApi, StripeFailure};
use std::collections::BTreeMap;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Currency, Money, PlanInterval, PriceDetail, ProductKind};
    use uuid::Uuid;

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
