//! Typed Stripe operations for money and for objects a member or API token names.
//!
//! Each takes validated IDs and returns a struct with the fields Paydesk acts on. A field
//! Stripe must send (an amount, a status) that is missing or mistyped is a
//! [`StripeFailure::Unexpected`], never a silent zero. Subscriptions are still handed back as
//! JSON: their many optional fields are read where they are described.

use super::{Form, StripeApi, StripeFailure, StripePath};
use crate::model::{Currency, StripeId};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

/// Reads Stripe's answer into `T`; what does not fit is Stripe's fault, said loudly.
fn typed<T: DeserializeOwned>(what: &str, value: Value) -> Result<T, StripeFailure> {
    serde_json::from_value(value)
        .map_err(|e| StripeFailure::Unexpected(format!("{what} could not be read: {e}")))
}

/// A refund as Stripe made it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Refund {
    pub id: StripeId,
    /// Minor units of `currency`.
    pub amount: i64,
    pub currency: String,
    /// `pending`, `requires_action`, `succeeded`, `failed` or `canceled`.
    pub status: String,
    pub charge: Option<StripeId>,
}

/// What to refund: part or all of a payment intent's charge.
#[derive(Debug, Clone)]
pub struct RefundRequest<'a> {
    pub payment_intent: &'a StripeId,
    /// Minor units, at least 1.
    pub amount: i64,
    /// One of Stripe's reasons (`requested_by_customer`...).
    pub reason: &'a str,
    pub metadata: Vec<(&'static str, String)>,
}

/// A saved payment method: whose it is and what card.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PaymentMethod {
    pub id: StripeId,
    pub customer: Option<StripeId>,
    pub card: Option<PaymentMethodCard>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PaymentMethodCard {
    pub brand: String,
    pub last4: String,
    pub exp_month: i64,
    pub exp_year: i64,
}

/// A payment intent with the fields the API and the refund check act on.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PaymentIntent {
    pub id: StripeId,
    pub status: String,
    pub amount: i64,
    pub amount_received: i64,
    pub currency: String,
    pub customer: Option<StripeId>,
    pub description: Option<String>,
    pub client_secret: Option<String>,
    pub created: i64,
    pub last_payment_error: Option<PaymentError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PaymentError {
    pub message: Option<String>,
}

impl PaymentIntent {
    pub fn failure_message(&self) -> Option<&str> {
        self.last_payment_error
            .as_ref()
            .and_then(|e| e.message.as_deref())
    }
}

/// The money on a payment intent's latest charge.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ChargeAmounts {
    pub id: StripeId,
    pub amount_captured: i64,
    pub amount_refunded: i64,
}

#[derive(Debug, Clone, Deserialize)]
struct IntentWithCharge {
    latest_charge: Option<ChargeAmounts>,
}

/// A new payment intent on a customer.
#[derive(Debug, Clone)]
pub struct PaymentIntentRequest<'a> {
    pub customer: &'a StripeId,
    pub amount: i64,
    pub currency: &'a Currency,
    pub description: Option<&'a str>,
    pub metadata: Vec<(&'static str, String)>,
}

/// A Checkout Session: where to send the buyer, and whether it is done.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CheckoutSession {
    pub id: StripeId,
    pub url: Option<String>,
    pub status: Option<String>,
    /// Unix seconds.
    pub expires_at: Option<i64>,
}

#[derive(Deserialize)]
struct Deleted {
    deleted: bool,
}

fn with_metadata(mut form: Form, metadata: &[(&'static str, String)]) -> Form {
    for (key, value) in metadata {
        form = form.set(format!("metadata[{key}]"), value.as_str());
    }
    form
}

impl StripeApi {
    /// Refunds `amount` of a payment intent's charge.
    pub async fn create_refund(
        &self,
        request: &RefundRequest<'_>,
        idempotency_key: &str,
    ) -> Result<Refund, StripeFailure> {
        let form = Form::new()
            .set("payment_intent", request.payment_intent.as_str())
            .set("amount", request.amount.to_string())
            .set("reason", request.reason);
        let form = with_metadata(form, &request.metadata);
        let made = self
            .post(&StripePath::new("/refunds"), &form, idempotency_key)
            .await?;
        typed("the refund", made)
    }

    /// Removes a Tax ID from a customer.
    pub async fn delete_tax_id(
        &self,
        customer: &StripeId,
        tax_id: &StripeId,
        idempotency_key: &str,
    ) -> Result<(), StripeFailure> {
        let path = StripePath::new("/customers")
            .id(customer)
            .seg("tax_ids")
            .id(tax_id);
        let answer: Deleted = typed(
            "the deleted Tax ID",
            self.delete(&path, idempotency_key).await?,
        )?;
        if answer.deleted {
            Ok(())
        } else {
            Err(StripeFailure::Unexpected("Stripe kept the Tax ID".into()))
        }
    }

    pub async fn payment_method(&self, id: &StripeId) -> Result<PaymentMethod, StripeFailure> {
        let pm = self
            .get_object(&StripePath::new("/payment_methods").id(id))
            .await?;
        typed("the payment method", pm)
    }

    /// Attaches a payment method (or a test token, which Stripe turns into a new one) to a
    /// customer; returns the attached method.
    pub async fn attach_payment_method(
        &self,
        id: &StripeId,
        customer: &StripeId,
        idempotency_key: &str,
    ) -> Result<PaymentMethod, StripeFailure> {
        let path = StripePath::new("/payment_methods").id(id).seg("attach");
        let form = Form::new().set("customer", customer.as_str());
        typed(
            "the attached payment method",
            self.post(&path, &form, idempotency_key).await?,
        )
    }

    pub async fn detach_payment_method(
        &self,
        id: &StripeId,
        idempotency_key: &str,
    ) -> Result<PaymentMethod, StripeFailure> {
        let path = StripePath::new("/payment_methods").id(id).seg("detach");
        typed(
            "the detached payment method",
            self.post(&path, &Form::new(), idempotency_key).await?,
        )
    }

    /// Makes `payment_method` the customer's invoice default (what renewals fall back to).
    pub async fn set_default_payment_method(
        &self,
        customer: &StripeId,
        payment_method: &StripeId,
        idempotency_key: &str,
    ) -> Result<(), StripeFailure> {
        let form = Form::new().set(
            "invoice_settings[default_payment_method]",
            payment_method.as_str(),
        );
        self.post(
            &StripePath::new("/customers").id(customer),
            &form,
            idempotency_key,
        )
        .await
        .map(drop)
    }

    pub async fn create_payment_intent(
        &self,
        request: &PaymentIntentRequest<'_>,
        idempotency_key: &str,
    ) -> Result<PaymentIntent, StripeFailure> {
        let mut form = Form::new()
            .set("amount", request.amount.to_string())
            .set("currency", request.currency.code())
            .set("customer", request.customer.as_str())
            .set("payment_method_types[0]", "card");
        if let Some(description) = request.description {
            form = form.set("description", description);
        }
        let form = with_metadata(form, &request.metadata);
        let made = self
            .post(&StripePath::new("/payment_intents"), &form, idempotency_key)
            .await?;
        typed("the payment intent", made)
    }

    pub async fn payment_intent(&self, id: &StripeId) -> Result<PaymentIntent, StripeFailure> {
        let intent = self
            .get_object(&StripePath::new("/payment_intents").id(id))
            .await?;
        typed("the payment intent", intent)
    }

    /// The payment intent and the amounts of its latest charge, if it has one.
    pub async fn payment_intent_charge(
        &self,
        id: &StripeId,
    ) -> Result<(PaymentIntent, Option<ChargeAmounts>), StripeFailure> {
        let live = self
            .get_with(
                &StripePath::new("/payment_intents").id(id),
                &[("expand[0]", "latest_charge")],
            )
            .await?;
        let charge: IntentWithCharge = typed("the payment's charge", live.clone())?;
        Ok((typed("the payment intent", live)?, charge.latest_charge))
    }

    pub async fn confirm_payment_intent(
        &self,
        id: &StripeId,
        payment_method: &StripeId,
        idempotency_key: &str,
    ) -> Result<PaymentIntent, StripeFailure> {
        let path = StripePath::new("/payment_intents").id(id).seg("confirm");
        let form = Form::new().set("payment_method", payment_method.as_str());
        typed(
            "the confirmed payment intent",
            self.post(&path, &form, idempotency_key).await?,
        )
    }

    /// Opens a Checkout Session; `form` carries its mode, lines and URLs.
    pub async fn create_checkout_session(
        &self,
        form: &Form,
        idempotency_key: &str,
    ) -> Result<CheckoutSession, StripeFailure> {
        let made = self
            .post(
                &StripePath::new("/checkout/sessions"),
                form,
                idempotency_key,
            )
            .await?;
        typed("the Checkout Session", made)
    }

    pub async fn checkout_session(&self, id: &StripeId) -> Result<CheckoutSession, StripeFailure> {
        let session = self
            .get_object(&StripePath::new("/checkout/sessions").id(id))
            .await?;
        typed("the Checkout Session", session)
    }

    pub async fn expire_checkout_session(
        &self,
        id: &StripeId,
        idempotency_key: &str,
    ) -> Result<(), StripeFailure> {
        let path = StripePath::new("/checkout/sessions").id(id).seg("expire");
        self.post(&path, &Form::new(), idempotency_key)
            .await
            .map(drop)
    }

    pub async fn subscription(&self, id: &StripeId) -> Result<Value, StripeFailure> {
        self.get_object(&StripePath::new("/subscriptions").id(id))
            .await
    }

    pub async fn update_subscription(
        &self,
        id: &StripeId,
        form: &Form,
        idempotency_key: &str,
    ) -> Result<Value, StripeFailure> {
        self.post(
            &StripePath::new("/subscriptions").id(id),
            form,
            idempotency_key,
        )
        .await
    }

    /// Ends a subscription now.
    pub async fn cancel_subscription(
        &self,
        id: &StripeId,
        idempotency_key: &str,
    ) -> Result<Value, StripeFailure> {
        self.delete(&StripePath::new("/subscriptions").id(id), idempotency_key)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_refund_without_an_amount_is_an_error_not_a_zero() {
        let missing =
            json!({"id": "re_1", "currency": "eur", "status": "succeeded", "charge": "ch_1"});
        assert!(matches!(
            typed::<Refund>("the refund", missing),
            Err(StripeFailure::Unexpected(_))
        ));
        let made = json!({"id": "re_1", "amount": 500, "currency": "eur", "status": "pending", "charge": null});
        let refund: Refund = typed("the refund", made).expect("a refund");
        assert_eq!(refund.amount, 500);
        assert_eq!(refund.charge, None);
    }

    #[test]
    fn a_charge_without_its_refunded_amount_is_an_error() {
        let live = json!({"latest_charge": {"id": "ch_1", "amount_captured": 1000}});
        assert!(typed::<IntentWithCharge>("charge", live).is_err());
        let live = json!({"latest_charge": null});
        let read: IntentWithCharge = typed("charge", live).expect("no charge yet");
        assert!(read.latest_charge.is_none());
    }

    #[test]
    fn an_object_id_stripe_sends_must_be_well_formed_too() {
        let pm = json!({"id": "pm_1/../x", "customer": null, "card": null});
        assert!(typed::<PaymentMethod>("pm", pm).is_err());
    }
}
