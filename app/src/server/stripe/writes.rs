//! Writes to Stripe as form posts with an idempotency key of Paydesk's choosing, retried only
//! where Stripe documents a retry as safe.
//!
//! async-stripe reads `Stripe-Should-Retry` only inside its own retrying strategies, and those
//! draw a random key per call. Paydesk needs keys it can derive again (the same member's same
//! request must not create a second Checkout Session), so it sends each attempt with
//! `RequestStrategy::Idempotent` and retries here on what Stripe calls transient: network
//! failures, timeouts, 409 (an idempotent request still in flight), 429 and 5xx. Stripe replays
//! the first answer for a repeated key, so a retry never acts twice.

use super::{StripeApi, StripeFailure, StripePath};
use std::collections::BTreeMap;
use std::time::Duration;
use stripe::StripeError;

/// Attempts per write, the first included.
const ATTEMPTS: u32 = 3;
const FIRST_BACKOFF: Duration = Duration::from_millis(250);

/// A form-encoded request body in Stripe's bracket notation (`line_items[0][price]`).
#[derive(Debug, Clone, Default)]
pub struct Form(BTreeMap<String, String>);

impl Form {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.0.insert(key.into(), value.into());
        self
    }

    pub fn set_if(self, condition: bool, key: impl Into<String>, value: impl Into<String>) -> Self {
        if condition {
            self.set(key, value)
        } else {
            self
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Post,
    Delete,
}

impl StripeApi {
    /// POSTs `form` to `path` (`/checkout/sessions`) under `idempotency_key`.
    pub async fn post(
        &self,
        path: &StripePath,
        form: &Form,
        idempotency_key: &str,
    ) -> Result<serde_json::Value, StripeFailure> {
        self.write(Method::Post, path, Some(form), idempotency_key)
            .await
    }

    /// DELETEs `path` (`/customers/cus_.../tax_ids/txi_...`).
    pub async fn delete(
        &self,
        path: &StripePath,
        idempotency_key: &str,
    ) -> Result<serde_json::Value, StripeFailure> {
        self.write(Method::Delete, path, None, idempotency_key)
            .await
    }

    async fn write(
        &self,
        method: Method,
        path: &StripePath,
        form: Option<&Form>,
        idempotency_key: &str,
    ) -> Result<serde_json::Value, StripeFailure> {
        use stripe_client_core::{IdempotencyKey, RequestBuilder, RequestStrategy, StripeMethod};
        let key = IdempotencyKey::new(idempotency_key)
            .map_err(|e| StripeFailure::Unexpected(format!("idempotency key: {e:?}")))?;
        let mut backoff = FIRST_BACKOFF;
        let mut attempt = 1;
        loop {
            let mut request = RequestBuilder::new(
                match method {
                    Method::Post => StripeMethod::Post,
                    Method::Delete => StripeMethod::Delete,
                },
                path.as_str(),
            );
            // An empty form is sent as no body: serde_qs encodes an empty map as a nameless
            // parameter, which Stripe refuses.
            if let Some(form) = form.filter(|f| !f.0.is_empty()) {
                request = request.form(&form.0);
            }
            let result = request
                .customize::<miniserde::json::Value>()
                .request_strategy(RequestStrategy::Idempotent(key.clone()))
                .send(&self.client)
                .await;
            match result {
                Ok(value) => {
                    return serde_json::from_str(&miniserde::json::to_string(&value))
                        .map_err(|e| StripeFailure::Unexpected(e.to_string()))
                }
                Err(err) if attempt < ATTEMPTS && is_transient(&err) => {
                    tracing::warn!(
                        path = path.as_str(),
                        attempt,
                        "Stripe write failed, retrying: {err}"
                    );
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                    attempt += 1;
                }
                Err(err) => return Err(self.failure(err, path.what())),
            }
        }
    }
}

fn is_transient(err: &StripeError) -> bool {
    match err {
        StripeError::Stripe(_, status) => transient_status(*status),
        StripeError::ClientError(_) | StripeError::Timeout => true,
        StripeError::JSONDeserialize(_) | StripeError::ConfigError(_) => false,
    }
}

fn transient_status(status: u16) -> bool {
    matches!(status, 409 | 429 | 500..=599)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_transient_failures_are_retried() {
        for status in [409, 429, 500, 503] {
            assert!(transient_status(status), "{status}");
        }
        for status in [400, 401, 402, 404] {
            assert!(!transient_status(status), "{status}");
        }
        assert!(is_transient(&StripeError::Timeout));
        assert!(!is_transient(&StripeError::JSONDeserialize("x".into())));
    }
}
