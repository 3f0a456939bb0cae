//! What the REST API does for a member beyond the pages: payment intents (create, confirm,
//! read) and subscriptions made without Checkout. Same rules as the pages: the member's own
//! customer, prices from the active catalog, 404 for anything that is not theirs.

use super::{named_id, MemberBilling};
use crate::model::{AppError, Currency, MemberSubscription, StripeId, StripeMode};
use crate::server::billing::events::objects::USER_METADATA_KEY;
use crate::server::billing::settings::payment_error;
use crate::server::db;
use crate::server::error::OrInternal;
use crate::server::stripe::{Form, PaymentIntent, PaymentIntentRequest, StripeFailure, StripePath};
use crate::server::AppState;
use uuid::Uuid;

/// What a member or token is told about a payment method that is malformed, missing or
/// someone else's: the same words for all three, so the answer reveals nothing.
const NO_SUCH_PAYMENT_METHOD: &str = "No such payment method (pm_...) for this member.";

/// Who owns a Stripe object (`collection` is `payment_intents` or `subscriptions`): the
/// member linked to its customer, or `None` when it is unknown, nobody's or not an ID.
pub async fn owner_of(
    state: &AppState,
    collection: &str,
    id: &str,
) -> Result<Option<Uuid>, AppError> {
    let (prefix, root) = match collection {
        "payment_intents" => ("pi", StripePath::new("/payment_intents")),
        "subscriptions" => ("sub", StripePath::new("/subscriptions")),
        _ => return Ok(None),
    };
    let Ok(id) = StripeId::parse_prefixed(prefix, id.trim()) else {
        return Ok(None);
    };
    let stripe = state.settings().stripe().await?;
    let object = match stripe.get_object(&root.id(&id)).await {
        Ok(object) => object,
        Err(StripeFailure::NotFound(_)) => return Ok(None),
        Err(other) => return Err(payment_error(other)),
    };
    let Some(customer) = object["customer"].as_str().filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    db::member::owner_of_customer(&state.pool, stripe.mode().as_str(), customer)
        .await
        .or_internal("read customer owner")
}

/// The most Stripe takes in one charge, in minor units.
const MAX_AMOUNT: i64 = 99_999_999;

impl MemberBilling<'_> {
    /// A payment intent on the member's customer, to be confirmed with a card.
    pub async fn create_payment_intent(
        &self,
        amount: i64,
        currency: &Currency,
        description: Option<&str>,
        key: &str,
    ) -> Result<PaymentIntent, AppError> {
        if !(1..=MAX_AMOUNT).contains(&amount) {
            return Err(AppError::validation(
                "amount",
                format!("Give an amount in minor units from 1 to {MAX_AMOUNT}."),
            ));
        }
        let description = description.map(str::trim).filter(|d| !d.is_empty());
        if description.is_some_and(|d| d.chars().count() > 500) {
            return Err(AppError::validation(
                "description",
                "Keep the description under 500 characters.",
            ));
        }
        let customer = self.customer().await?;
        let request = PaymentIntentRequest {
            customer: &customer,
            amount,
            currency,
            description,
            metadata: vec![(USER_METADATA_KEY, self.member.id.to_string())],
        };
        self.stripe
            .create_payment_intent(&request, &self.api_key("intent", key))
            .await
            .map_err(payment_error)
    }

    /// The member's payment intent as Stripe has it now; 404 when it is someone else's.
    pub async fn own_payment_intent(&self, id: &str) -> Result<PaymentIntent, AppError> {
        let id = named_id("pi", id)?;
        let customer = self.existing_customer().await?.ok_or(AppError::NotFound)?;
        let intent = match self.stripe.payment_intent(&id).await {
            Ok(intent) => intent,
            Err(StripeFailure::NotFound(_)) => return Err(AppError::NotFound),
            Err(other) => return Err(payment_error(other)),
        };
        if intent.customer.as_ref() != Some(&customer) {
            return Err(AppError::NotFound);
        }
        Ok(intent)
    }

    /// A payment method the member may pay with: one attached to their own customer, one
    /// attached to nobody yet (fresh from Stripe.js; paying attaches it to them), or in test
    /// mode one of Stripe's `pm_card_*` test tokens (Stripe makes a new card of it). Anything
    /// else, malformed, missing or another customer's, is the same field error, and only
    /// the lookup reaches Stripe.
    async fn usable_payment_method(
        &self,
        id: &str,
        customer: &StripeId,
    ) -> Result<StripeId, AppError> {
        let refused = || AppError::validation("payment_method", NO_SUCH_PAYMENT_METHOD);
        let id = StripeId::parse_prefixed("pm", id.trim()).map_err(|_| refused())?;
        if self.stripe.mode() == StripeMode::Test && id.as_str().starts_with("pm_card_") {
            return Ok(id);
        }
        let pm = match self.stripe.payment_method(&id).await {
            Ok(pm) => pm,
            Err(StripeFailure::NotFound(_)) => return Err(refused()),
            Err(other) => return Err(payment_error(other)),
        };
        match pm.customer {
            None => Ok(id),
            Some(owner) if owner == *customer => Ok(id),
            Some(_) => Err(refused()),
        }
    }

    /// Confirms the member's payment intent with a card; a decline is a `Payment` error
    /// with Stripe's words.
    pub async fn confirm_payment(
        &self,
        id: &str,
        payment_method: &str,
        key: &str,
    ) -> Result<PaymentIntent, AppError> {
        let intent = self.own_payment_intent(id).await?;
        let customer = self.existing_customer().await?.ok_or(AppError::NotFound)?;
        let payment_method = self
            .usable_payment_method(payment_method, &customer)
            .await?;
        if !matches!(
            intent.status.as_str(),
            "requires_payment_method" | "requires_confirmation"
        ) {
            return Err(AppError::Conflict(format!(
                "This payment is {} and cannot be confirmed again.",
                intent.status
            )));
        }
        let confirmed = self
            .stripe
            .confirm_payment_intent(&intent.id, &payment_method, &self.api_key("confirm", key))
            .await
            .map_err(payment_error)?;
        if confirmed.status == "requires_payment_method" {
            let reason = confirmed
                .failure_message()
                .unwrap_or("The card was declined.")
                .to_owned();
            return Err(AppError::Payment(reason));
        }
        Ok(confirmed)
    }

    /// Subscribes the member to a plan price without Checkout, charging `payment_method`
    /// (attached to their customer) or their default card.
    pub async fn subscribe(
        &self,
        price_id: &str,
        payment_method: Option<&str>,
        key: &str,
    ) -> Result<MemberSubscription, AppError> {
        let pool = &self.state.pool;
        db::member::offer(pool, &self.mode, price_id)
            .await
            .or_internal("read offer")?
            .filter(|o| o.kind == "plan" && o.recurring_interval.is_some())
            .ok_or_else(|| AppError::validation("price_id", "That plan is not on offer."))?;
        if db::member::live_subscription(pool, &self.mode, self.member.id)
            .await
            .or_internal("read member subscription")?
            .is_some()
        {
            return Err(AppError::Conflict(
                "The member already has a subscription; change its plan instead.".into(),
            ));
        }
        let customer = self.customer().await?;
        let mut form = Form::new()
            .set("customer", customer.as_str())
            .set("items[0][price]", price_id)
            .set("payment_behavior", "error_if_incomplete")
            .set(
                format!("metadata[{USER_METADATA_KEY}]"),
                self.member.id.to_string(),
            )
            .set_if(
                self.settings.automatic_tax,
                "automatic_tax[enabled]",
                "true",
            );
        match payment_method.map(str::trim).filter(|p| !p.is_empty()) {
            Some(pm) => {
                let pm = self.usable_payment_method(pm, &customer).await?;
                // A test token (`pm_card_visa`) attaches as a new payment method.
                let attached = self
                    .stripe
                    .attach_payment_method(&pm, &customer, &self.api_key("attach", key))
                    .await
                    .map_err(payment_error)?;
                form = form.set("default_payment_method", attached.id.as_str());
            }
            None if self.invoice_default_card().await?.is_none() => {
                return Err(AppError::validation(
                    "payment_method",
                    "The member has no default card: give a payment method.",
                ));
            }
            None => {}
        }
        let created = self
            .stripe
            .post(
                &StripePath::new("/subscriptions"),
                &form,
                &self.api_key("subscribe", key),
            )
            .await
            .map_err(payment_error)?;
        self.describe(&created, true).await
    }

    /// Ends the member's subscription now (no refund of the unused time).
    pub async fn cancel_now(&self, id: &str, key: &str) -> Result<MemberSubscription, AppError> {
        let (id, _) = self.own_subscription(id).await?;
        let canceled = self
            .stripe
            .cancel_subscription(&id, &self.api_key("cancel-now", key))
            .await
            .map_err(payment_error)?;
        self.describe(&canceled, true).await
    }

    /// The Stripe idempotency key for an API call: the client's own `Idempotency-Key` scoped
    /// to this member and action, so a retried request is one write.
    fn api_key(&self, action: &str, client_key: &str) -> String {
        format!("paydesk-api-{}-{action}-{client_key}", self.member.id)
    }
}
