//! The one place that talks to Stripe, through async-stripe. Everything else sees plain
//! Paydesk types and [`StripeFailure`], never async-stripe's.
//!
//! There is deliberately no trait to mock this with: tests point the base URL at the Stripe
//! emulator, so the real client and real HTTP are what gets tested.

mod catalog;
mod ops;
mod path;
mod writes;

pub use catalog::{PricePush, ProductPush, RemotePrice, RemoteProduct};
pub use ops::{
    CheckoutSession, PaymentIntent, PaymentIntentRequest, PaymentMethod, PaymentMethodCard, Refund,
    RefundRequest,
};
pub use path::StripePath;
pub use writes::Form;

use crate::model::{AccountSummary, StripeMode};
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;
use stripe::{Client, ClientBuilder, StripeError};

/// Every event type Paydesk's webhook handler acts on; the endpoint is registered for these.
pub const HANDLED_EVENTS: &[&str] = &[
    "checkout.session.completed",
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "invoice.created",
    "invoice.finalized",
    "invoice.finalization_failed",
    "invoice.paid",
    "invoice.payment_succeeded",
    "invoice.payment_failed",
    "invoice.payment_action_required",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_method.attached",
    "payment_method.detached",
    "payment_method.automatically_updated",
    "charge.refunded",
    "refund.created",
    "refund.updated",
    "product.created",
    "product.updated",
    "product.deleted",
    "price.created",
    "price.updated",
    "price.deleted",
];

/// How long one call to Stripe may take before Paydesk gives up on it.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// Why a call to Stripe failed, in words an admin can act on. Never contains a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StripeFailure {
    #[error("Stripe rejected the secret key: {0}")]
    Authentication(String),
    #[error("Could not reach Stripe at {api_base}: {detail}")]
    Network { api_base: String, detail: String },
    #[error("Stripe refused the request: {0}")]
    Rejected(String),
    #[error("Stripe has no {0}.")]
    NotFound(String),
    #[error("Stripe's answer could not be read: {0}")]
    Unexpected(String),
}

/// A Stripe client for one account and mode.
#[derive(Clone)]
pub struct StripeApi {
    client: Client,
    api_base: String,
    mode: StripeMode,
}

impl StripeApi {
    pub fn new(api_base: &str, secret_key: &SecretString) -> Result<Self, StripeFailure> {
        let key = secret_key.expose_secret();
        let mode = StripeMode::of_key(key).ok_or_else(|| {
            StripeFailure::Authentication("the key is neither a test nor a live key".into())
        })?;
        let client = ClientBuilder::new(key)
            .url(format!("{}/", api_base.trim_end_matches('/')))
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| StripeFailure::Unexpected(e.to_string()))?;
        Ok(Self {
            client,
            api_base: api_base.to_owned(),
            mode,
        })
    }

    /// The mode of the key this client uses.
    pub fn mode(&self) -> StripeMode {
        self.mode
    }

    pub fn api_base(&self) -> &str {
        &self.api_base
    }

    /// Creates a webhook endpoint for every event Paydesk handles, pinned to the API version
    /// of Paydesk's client, and returns its id and signing secret.
    pub async fn create_webhook_endpoint(
        &self,
        url: &str,
    ) -> Result<(String, SecretString), StripeFailure> {
        use stripe_misc::webhook_endpoint::{
            CreateWebhookEndpoint, CreateWebhookEndpointEnabledEvents,
        };
        let events: Vec<CreateWebhookEndpointEnabledEvents> = HANDLED_EVENTS
            .iter()
            .map(|e| e.parse().unwrap_or(CreateWebhookEndpointEnabledEvents::All))
            .collect();
        let endpoint = CreateWebhookEndpoint::new(events, url)
            .api_version(stripe_shared::version::VERSION)
            .description("Paydesk")
            .send(&self.client)
            .await
            .map_err(|e| self.failure(e, "webhook endpoint"))?;
        let secret = endpoint.secret.ok_or_else(|| {
            StripeFailure::Unexpected("the new webhook endpoint came without a secret".into())
        })?;
        Ok((endpoint.id.to_string(), SecretString::from(secret)))
    }

    /// The account the key belongs to. Read as loose JSON: async-stripe's typed `Account` lives
    /// in its Connect crate, far too large to compile for four fields.
    pub async fn account(&self) -> Result<AccountSummary, StripeFailure> {
        let account = self.get_object(&StripePath::new("/account")).await?;
        let text =
            |value: &serde_json::Value| value.as_str().filter(|s| !s.is_empty()).map(str::to_owned);
        Ok(AccountSummary {
            id: text(&account["id"]).ok_or_else(|| {
                StripeFailure::Unexpected("the account came without an id".into())
            })?,
            name: text(&account["business_profile"]["name"])
                .or_else(|| text(&account["settings"]["dashboard"]["display_name"])),
            email: text(&account["email"]),
            country: text(&account["country"]),
        })
    }

    /// Any object as plain JSON (`/subscriptions/sub_...`): what the event worker stores when
    /// events cannot be ordered, and what the console compares with its own copy.
    pub async fn get_object(&self, path: &StripePath) -> Result<serde_json::Value, StripeFailure> {
        self.get_json(path, &[]).await
    }

    /// An object with query parameters (`expand[0]=tax`).
    pub async fn get_with(
        &self,
        path: &StripePath,
        query: &[(&str, &str)],
    ) -> Result<serde_json::Value, StripeFailure> {
        self.get_json(path, query).await
    }

    /// Every object of a list (`/subscriptions` with `status=all`), page by page.
    pub async fn list_objects(
        &self,
        path: &StripePath,
        params: &[(&str, &str)],
    ) -> Result<Vec<serde_json::Value>, StripeFailure> {
        let mut objects = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut query: Vec<(&str, &str)> = params.to_vec();
            query.push(("limit", "100"));
            if let Some(last) = &after {
                query.push(("starting_after", last));
            }
            let mut page = self.get_json(path, &query).await?;
            let data = match page["data"].take() {
                serde_json::Value::Array(data) => data,
                _ => return Err(StripeFailure::Unexpected(format!("{path} is not a list"))),
            };
            after = data
                .last()
                .and_then(|o| o["id"].as_str())
                .map(str::to_owned);
            objects.extend(data);
            if page["has_more"].as_bool() != Some(true) || after.is_none() {
                return Ok(objects);
            }
        }
    }

    async fn get_json(
        &self,
        path: &StripePath,
        query: &[(&str, &str)],
    ) -> Result<serde_json::Value, StripeFailure> {
        use stripe_client_core::{RequestBuilder, StripeMethod};
        let mut request = RequestBuilder::new(StripeMethod::Get, path.as_str());
        if !query.is_empty() {
            // A map, not the slice: serde_qs writes a slice of pairs as an indexed list
            // (`0[0]=expand[0]&0[1]=tax`), which Stripe would ignore.
            let query: std::collections::BTreeMap<&str, &str> = query.iter().copied().collect();
            request = request.query(&query);
        }
        let value: miniserde::json::Value = request
            .customize::<miniserde::json::Value>()
            .send(&self.client)
            .await
            .map_err(|e| self.failure(e, path.what()))?;
        serde_json::from_str(&miniserde::json::to_string(&value))
            .map_err(|e| StripeFailure::Unexpected(e.to_string()))
    }

    fn failure(&self, err: StripeError, what: &str) -> StripeFailure {
        match err {
            StripeError::Stripe(api, status) => {
                let message = api
                    .message
                    .clone()
                    .unwrap_or_else(|| format!("HTTP {status}"));
                match status {
                    401 | 403 => StripeFailure::Authentication(message),
                    404 => StripeFailure::NotFound(what.to_owned()),
                    _ => StripeFailure::Rejected(message),
                }
            }
            StripeError::ClientError(detail) => StripeFailure::Network {
                api_base: self.api_base.clone(),
                detail,
            },
            StripeError::Timeout => StripeFailure::Network {
                api_base: self.api_base.clone(),
                detail: format!("no answer within {} seconds", REQUEST_TIMEOUT.as_secs()),
            },
            StripeError::JSONDeserialize(detail) | StripeError::ConfigError(detail) => {
                StripeFailure::Unexpected(detail)
            }
        }
    }
}
