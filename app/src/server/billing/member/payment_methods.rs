//! The member's saved cards: list, make one the default, remove one.

use super::{fresh_key, known_id, named_id, text, MemberBilling};
use crate::model::{AppError, Card, StripeId};
use crate::server::billing::settings::payment_error;
use crate::server::stripe::{Form, PaymentMethod, StripeFailure, StripePath};

impl MemberBilling<'_> {
    /// The member's cards as Stripe has them, the default first.
    pub async fn cards(&self) -> Result<Vec<Card>, AppError> {
        let Some(customer) = self.existing_customer().await? else {
            return Ok(Vec::new());
        };
        let default = self.default_card_id(&customer).await?;
        let methods = self
            .stripe
            .list_objects(
                &StripePath::new("/customers")
                    .id(&customer)
                    .seg("payment_methods"),
                &[("type", "card")],
            )
            .await
            .map_err(payment_error)?;
        let mut cards = Vec::with_capacity(methods.len());
        for pm in methods {
            let pm: PaymentMethod = serde_json::from_value(pm)
                .map_err(|e| payment_error(StripeFailure::Unexpected(format!("a card: {e}"))))?;
            cards.extend(read_card(&pm, default.as_ref()));
        }
        cards.sort_by_key(|c| !c.is_default);
        Ok(cards)
    }

    /// The customer's invoice default card, for a subscription without a card of its own.
    pub(super) async fn invoice_default_card(&self) -> Result<Option<Card>, AppError> {
        let Some(customer) = self.existing_customer().await? else {
            return Ok(None);
        };
        let Some(id) = self.invoice_default_card_id(&customer).await? else {
            return Ok(None);
        };
        let pm = self
            .stripe
            .payment_method(&id)
            .await
            .map_err(payment_error)?;
        // A default that was detached since is no card of the member's.
        if pm.customer.as_ref() != Some(&customer) {
            return Ok(None);
        }
        Ok(read_card(&pm, Some(&id)))
    }

    /// A card Stripe named (a subscription's default), read for display.
    pub(super) async fn card(&self, id: &str) -> Result<Option<Card>, AppError> {
        let id = known_id(id)?;
        let pm = self
            .stripe
            .payment_method(&id)
            .await
            .map_err(payment_error)?;
        Ok(read_card(&pm, Some(&id)))
    }

    /// The card renewals are charged to: the subscription's own, else the customer's
    /// invoice default (Checkout sets the first; "Make default" sets both).
    async fn default_card_id(&self, customer: &StripeId) -> Result<Option<StripeId>, AppError> {
        if let Some(sub) = self.live_subscription_id().await? {
            let sub = self
                .stripe
                .subscription(&sub)
                .await
                .map_err(payment_error)?;
            if let Some(card) = text(&sub["default_payment_method"]) {
                return known_id(&card).map(Some);
            }
        }
        self.invoice_default_card_id(customer).await
    }

    /// The customer's `invoice_settings.default_payment_method`.
    async fn invoice_default_card_id(
        &self,
        customer: &StripeId,
    ) -> Result<Option<StripeId>, AppError> {
        let customer = self
            .stripe
            .get_object(&StripePath::new("/customers").id(customer))
            .await
            .map_err(payment_error)?;
        text(&customer["invoice_settings"]["default_payment_method"])
            .as_deref()
            .map(known_id)
            .transpose()
    }

    /// Makes a card the default for the customer and for the member's subscription, so the
    /// next renewal is charged to it.
    pub async fn set_default_card(&self, id: &str) -> Result<Vec<Card>, AppError> {
        let (customer, id) = self.own_card(id).await?;
        self.stripe
            .set_default_payment_method(&customer, &id, &fresh_key("default-card"))
            .await
            .map_err(payment_error)?;
        if let Some(sub) = self.live_subscription_id().await? {
            let form = Form::new().set("default_payment_method", id.as_str());
            self.stripe
                .update_subscription(&sub, &form, &fresh_key("sub-card"))
                .await
                .map_err(payment_error)?;
        }
        self.cards().await
    }

    /// Removes a card, unless it is the only one paying for a live subscription.
    pub async fn remove_card(&self, id: &str) -> Result<Vec<Card>, AppError> {
        let (_, id) = self.own_card(id).await?;
        let cards = self.cards().await?;
        let live = self.live_subscription_id().await?;
        if cards.len() == 1 && live.is_some() {
            return Err(AppError::Conflict(
                "This is the card paying for your plan. Add another card before removing it."
                    .into(),
            ));
        }
        self.stripe
            .detach_payment_method(&id, &fresh_key("detach"))
            .await
            .map_err(payment_error)?;
        if cards.iter().any(|c| id == c.id.as_str() && c.is_default) {
            if let Some(next) = cards.iter().find(|c| id != c.id.as_str()) {
                return self.set_default_card(&next.id).await;
            }
        }
        self.cards().await
    }

    /// The member's customer and the card, if the card belongs to it; 404 otherwise
    /// (malformed IDs never reach Stripe).
    async fn own_card(&self, id: &str) -> Result<(StripeId, StripeId), AppError> {
        let id = named_id("pm", id)?;
        let customer = self.existing_customer().await?.ok_or(AppError::NotFound)?;
        let pm = match self.stripe.payment_method(&id).await {
            Ok(pm) => pm,
            Err(StripeFailure::NotFound(_)) => return Err(AppError::NotFound),
            Err(other) => return Err(payment_error(other)),
        };
        if pm.customer.as_ref() != Some(&customer) {
            return Err(AppError::NotFound);
        }
        Ok((customer, id))
    }
}

/// A card for the page; a payment method that is not a card is left out.
fn read_card(pm: &PaymentMethod, default: Option<&StripeId>) -> Option<Card> {
    let card = pm.card.as_ref()?;
    Some(Card {
        is_default: default == Some(&pm.id),
        id: pm.id.to_string(),
        brand: card.brand.clone(),
        last4: card.last4.clone(),
        exp_month: card.exp_month,
        exp_year: card.exp_year,
    })
}
