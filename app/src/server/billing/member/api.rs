//! What the REST API does for a member beyond the pages: payment intents (create, confirm,
//! read) and subscriptions made without Checkout. Same rules as the pages: the member's own
//! customer, prices from the active catalog, 404 for anything that is not theirs.

use super::{text, MemberBilling};
use crate::model::{AppError, Currency, MemberSubscription};
use crate::server::billing::events::objects::USER_METADATA_KEY;
use crate::server::billing::settings::payment_error;
use crate::server::db;
use crate::server::error::OrInternal;
use crate::server::stripe::{Form, StripeFailure};
use crate::server::AppState;
use serde_json::Value;
use uuid::Uuid;

/// Who owns a Stripe object (`collection` is `payment_intents` or `subscriptions`): the
/// member linked to its customer, or `None` when it is unknown or nobody's.
pub async fn owner_of(
    state: &AppState,
    collection: &str,
    id: &str,
) -> Result<Option<Uuid>, AppError> {
    let well_formed = id.len() <= 255
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && matches!(
            (collection, id.split('_').next()),
            ("payment_intents", Some("pi")) | ("subscriptions", Some("sub"))
        );
    if !well_formed {
        return Ok(None);
    }
    let stripe = state.settings().stripe().await?;
    let object = match stripe.get_object(&format!("/{collection}/{id}")).await {
        Ok(object) => object,
        Err(StripeFailure::NotFound(_)) => return Ok(None),
        Err(other) => return Err(payment_error(other)),
    };
    let Some(customer) = text(&object["customer"]) else {
        return Ok(None);
    };
    db::member::owner_of_customer(&state.pool, stripe.mode().as_str(), &customer)
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
    ) -> Result<Value, AppError> {
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
        let mut form = Form::new()
            .set("amount", amount.to_string())
            .set("currency", currency.code())
            .set("customer", customer)
            .set("payment_method_types[0]", "card")
            .set(
                format!("metadata[{USER_METADATA_KEY}]"),
                self.member.id.to_string(),
            );
        if let Some(description) = description {
            form = form.set("description", description);
        }
        self.stripe
            .post("/payment_intents", &form, &self.api_key("intent", key))
            .await
            .map_err(payment_error)
    }

    /// The member's payment intent as Stripe has it now; 404 when it is someone else's.
    pub async fn own_payment_intent(&self, id: &str) -> Result<Value, AppError> {
        if !id.starts_with("pi_") || id.len() > 255 {
            return Err(AppError::NotFound);
        }
        let customer = db::member::customer_of(&self.state.pool, &self.mode, self.member.id)
            .await
            .or_internal("read member customer")?
            .ok_or(AppError::NotFound)?;
        let intent = match self
            .stripe
            .get_object(&format!("/payment_intents/{id}"))
            .await
        {
            Ok(intent) => intent,
            Err(StripeFailure::NotFound(_)) => return Err(AppError::NotFound),
            Err(other) => return Err(payment_error(other)),
        };
        if text(&intent["customer"]).as_deref() != Some(customer.as_str()) {
            return Err(AppError::NotFound);
        }
        Ok(intent)
    }

    /// Confirms the member's payment intent with a card; a decline is a `Payment` error
    /// with Stripe's words.
    pub async fn confirm_payment(
        &self,
        id: &str,
        payment_method: &str,
        key: &str,
    ) -> Result<Value, AppError> {
        let intent = self.own_payment_intent(id).await?;
        if !payment_method.starts_with("pm_") {
            return Err(AppError::validation(
                "payment_method",
                "Give a payment method id (pm_...).",
            ));
        }
        if !matches!(
            intent["status"].as_str(),
            Some("requires_payment_method" | "requires_confirmation")
        ) {
            return Err(AppError::Conflict(format!(
                "This payment is {} and cannot be confirmed again.",
                intent["status"].as_str().unwrap_or("settled")
            )));
        }
        let form = Form::new().set("payment_method", payment_method);
        let confirmed = self
            .stripe
            .post(
                &format!("/payment_intents/{id}/confirm"),
                &form,
                &self.api_key("confirm", key),
            )
            .await
            .map_err(payment_error)?;
        if confirmed["status"] == "requires_payment_method" {
            let reason = text(&confirmed["last_payment_error"]["message"])
                .unwrap_or_else(|| "The card was declined.".to_owned());
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
            .set("customer", &customer)
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
                if !pm.starts_with("pm_") {
                    return Err(AppError::validation(
                        "payment_method",
                        "Give a payment method id (pm_...).",
                    ));
                }
                let attached = self
                    .stripe
                    .post(
                        &format!("/payment_methods/{pm}/attach"),
                        &Form::new().set("customer", &customer),
                        &self.api_key("attach", key),
                    )
                    .await
                    .map_err(payment_error)?;
                // A test token (`pm_card_visa`) attaches as a new payment method.
                let attached = text(&attached["id"]).unwrap_or_else(|| pm.to_owned());
                form = form.set("default_payment_method", attached);
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
            .post("/subscriptions", &form, &self.api_key("subscribe", key))
            .await
            .map_err(payment_error)?;
        self.describe(&created, true).await
    }

    /// Ends the member's subscription now (no refund of the unused time).
    pub async fn cancel_now(&self, id: &str, key: &str) -> Result<MemberSubscription, AppError> {
        self.own_subscription(id).await?;
        let canceled = self
            .stripe
            .delete(
                &format!("/subscriptions/{id}"),
                &self.api_key("cancel-now", key),
            )
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
