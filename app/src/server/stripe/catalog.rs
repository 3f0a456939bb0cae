//! Products and prices in Stripe.

use super::{StripeApi, StripeFailure};
use crate::model::PlanInterval;
use futures::TryStreamExt;
use std::collections::{BTreeMap, HashMap};
use stripe::{IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_product::price::{
    CreatePrice, CreatePriceRecurring, CreatePriceRecurringInterval, ListPrice, RetrievePrice,
    UpdatePrice,
};
use stripe_product::product::{CreateProduct, ListProduct, RetrieveProduct, UpdateProduct};
use stripe_product::tax_rate::RetrieveTaxRate;
use stripe_types::Expandable;

/// Stripe's products per list page; the most it allows.
const PAGE: i64 = 100;

/// A product as Stripe has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteProduct {
    pub id: String,
    pub name: String,
    pub description: String,
    pub image_url: String,
    pub active: bool,
    pub metadata: BTreeMap<String, String>,
    pub default_price: Option<String>,
}

/// A price as Stripe has it. `interval` is `None` for one-time prices; intervals Paydesk does
/// not sell (day, week) come back as `unsupported_interval`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemotePrice {
    pub id: String,
    pub product_id: String,
    pub currency: String,
    pub unit_amount: Option<i64>,
    pub interval: Option<PlanInterval>,
    pub interval_count: i32,
    pub unsupported_interval: Option<String>,
    pub active: bool,
    pub lookup_key: Option<String>,
}

/// What Paydesk sends for a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductPush<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub image_url: &'a str,
    pub active: bool,
    pub metadata: &'a BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricePush<'a> {
    pub currency: &'a str,
    pub unit_amount: i64,
    pub interval: Option<PlanInterval>,
    pub interval_count: i32,
    pub lookup_key: Option<&'a str>,
}

impl StripeApi {
    pub async fn list_products(&self) -> Result<Vec<RemoteProduct>, StripeFailure> {
        let pages = ListProduct::new().limit(PAGE).paginate();
        let products: Vec<stripe_shared::Product> = pages
            .stream(&self.client)
            .try_collect()
            .await
            .map_err(|e| self.failure(e, "product list"))?;
        Ok(products.into_iter().map(remote_product).collect())
    }

    /// Every price of `product_id`, active or archived.
    pub async fn list_prices(&self, product_id: &str) -> Result<Vec<RemotePrice>, StripeFailure> {
        let pages = ListPrice::new().product(product_id).limit(PAGE).paginate();
        let prices: Vec<stripe_shared::Price> = pages
            .stream(&self.client)
            .try_collect()
            .await
            .map_err(|e| self.failure(e, "price list"))?;
        Ok(prices.into_iter().map(remote_price).collect())
    }

    pub async fn retrieve_product(&self, id: &str) -> Result<RemoteProduct, StripeFailure> {
        RetrieveProduct::new(id)
            .send(&self.client)
            .await
            .map(remote_product)
            .map_err(|e| self.failure(e, &format!("product {id}")))
    }

    pub async fn retrieve_price(&self, id: &str) -> Result<RemotePrice, StripeFailure> {
        RetrievePrice::new(id)
            .send(&self.client)
            .await
            .map(remote_price)
            .map_err(|e| self.failure(e, &format!("price {id}")))
    }

    /// `idempotency_key` makes a retry after a lost answer return the product made the first
    /// time instead of a duplicate.
    pub async fn create_product(
        &self,
        p: &ProductPush<'_>,
        idempotency_key: &str,
    ) -> Result<String, StripeFailure> {
        let mut req = CreateProduct::new(p.name)
            .active(p.active)
            .metadata(hash_map(p.metadata));
        if !p.description.is_empty() {
            req = req.description(p.description);
        }
        if !p.image_url.is_empty() {
            req = req.images(vec![p.image_url.to_owned()]);
        }
        req.customize()
            .request_strategy(idempotent(idempotency_key)?)
            .send(&self.client)
            .await
            .map(|product| product.id.to_string())
            .map_err(|e| self.failure(e, "product"))
    }

    /// Brings the Stripe product in line with `p`. Metadata keys Paydesk no longer has are
    /// removed (Stripe deletes a key sent with an empty value).
    pub async fn update_product(
        &self,
        id: &str,
        p: &ProductPush<'_>,
        stale_metadata_keys: &[String],
    ) -> Result<(), StripeFailure> {
        let mut metadata = hash_map(p.metadata);
        for key in stale_metadata_keys {
            metadata.entry(key.clone()).or_default();
        }
        let images = if p.image_url.is_empty() {
            Vec::new()
        } else {
            vec![p.image_url.to_owned()]
        };
        UpdateProduct::new(id)
            .name(p.name)
            .description(p.description)
            .images(images)
            .active(p.active)
            .metadata(metadata)
            .send(&self.client)
            .await
            .map(|_| ())
            .map_err(|e| self.failure(e, &format!("product {id}")))
    }

    pub async fn set_default_price(
        &self,
        product_id: &str,
        price_id: &str,
    ) -> Result<(), StripeFailure> {
        UpdateProduct::new(product_id)
            .default_price(price_id)
            .send(&self.client)
            .await
            .map(|_| ())
            .map_err(|e| self.failure(e, &format!("product {product_id}")))
    }

    pub async fn create_price(
        &self,
        product_id: &str,
        p: &PricePush<'_>,
        idempotency_key: &str,
    ) -> Result<String, StripeFailure> {
        let currency: stripe_types::Currency = p.currency.parse().unwrap_or_else(|e| match e {});
        let mut req = CreatePrice::new(currency)
            .product(product_id)
            .unit_amount(p.unit_amount);
        if let Some(interval) = p.interval {
            let mut recurring = CreatePriceRecurring::new(match interval {
                PlanInterval::Month => CreatePriceRecurringInterval::Month,
                PlanInterval::Year => CreatePriceRecurringInterval::Year,
            });
            recurring.interval_count = Some(u64::try_from(p.interval_count).unwrap_or(1));
            req = req.recurring(recurring);
        }
        if let Some(key) = p.lookup_key {
            req = req.lookup_key(key);
        }
        req.customize()
            .request_strategy(idempotent(idempotency_key)?)
            .send(&self.client)
            .await
            .map(|price| price.id.to_string())
            .map_err(|e| self.failure(e, "price"))
    }

    /// Whether Stripe has the tax rate `id` and it can still be applied.
    pub async fn tax_rate_is_active(&self, id: &str) -> Result<bool, StripeFailure> {
        match RetrieveTaxRate::new(id).send(&self.client).await {
            Ok(rate) => Ok(rate.active),
            Err(e) => match self.failure(e, &format!("tax rate {id}")) {
                StripeFailure::NotFound(_) => Ok(false),
                other => Err(other),
            },
        }
    }

    pub async fn set_price_active(&self, id: &str, active: bool) -> Result<(), StripeFailure> {
        UpdatePrice::new(id)
            .active(active)
            .send(&self.client)
            .await
            .map(|_| ())
            .map_err(|e| self.failure(e, &format!("price {id}")))
    }
}

fn idempotent(key: &str) -> Result<RequestStrategy, StripeFailure> {
    IdempotencyKey::new(key)
        .map(RequestStrategy::Idempotent)
        .map_err(|e| StripeFailure::Unexpected(e.to_string()))
}

fn hash_map(m: &BTreeMap<String, String>) -> HashMap<String, String> {
    m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn expandable_id<T: stripe_types::Object>(e: &Expandable<T>) -> String
where
    T::Id: ToString,
{
    e.id().to_string()
}

fn remote_product(p: stripe_shared::Product) -> RemoteProduct {
    RemoteProduct {
        id: p.id.to_string(),
        name: p.name,
        description: p.description.unwrap_or_default(),
        image_url: p.images.into_iter().next().unwrap_or_default(),
        active: p.active,
        metadata: p.metadata.into_iter().collect(),
        default_price: p.default_price.as_ref().map(expandable_id),
    }
}

fn remote_price(p: stripe_shared::Price) -> RemotePrice {
    let (interval, interval_count, unsupported_interval) = match &p.recurring {
        None => (None, 1, None),
        Some(r) => {
            let count = i32::try_from(r.interval_count).unwrap_or(i32::MAX);
            match r.interval.as_str() {
                "month" => (Some(PlanInterval::Month), count, None),
                "year" => (Some(PlanInterval::Year), count, None),
                other => (None, count, Some(other.to_owned())),
            }
        }
    };
    RemotePrice {
        id: p.id.to_string(),
        product_id: expandable_id(&p.product),
        currency: p.currency.to_string(),
        unit_amount: p.unit_amount,
        interval,
        interval_count,
        unsupported_interval,
        active: p.active,
        lookup_key: p.lookup_key,
    }
}
