//! The member's saved cards: list, make one the default, remove one.

use super::{fresh_key, text, MemberBilling};
use crate::model::{AppError, Card};
use crate::server::billing::settings::payment_error;
use crate::server::db;
use crate::server::error::OrInternal;
use crate::server::stripe::Form;
use serde_json::Value;

impl MemberBilling<'_> {
    /// The member's cards as Stripe has them, the default first.
    pub async fn cards(&self) -> Result<Vec<Card>, AppError> {
        let Some(customer) = db::member::customer_of(&self.state.pool, &self.mode, self.member.id)
            .await
            .or_internal("read member customer")?
        else {
            return Ok(Vec::new());
        };
        let default = self.default_card_id(&customer).await?;
        let methods = self
            .stripe
            .list_objects(
                &format!("/customers/{customer}/payment_methods"),
                &[("type", "card")],
            )
            .await
            .map_err(payment_error)?;
        let mut cards: Vec<Card> = methods
            .iter()
            .filter_map(|pm| read_card(pm, default.as_deref()))
            .collect();
        cards.sort_by_key(|c| !c.is_default);
        Ok(cards)
    }

    /// The customer's invoice default card, for a subscription without a card of its own.
    pub(super) async fn invoice_default_card(&self) -> Result<Option<Card>, AppError> {
        let Some(customer) = db::member::customer_of(&self.state.pool, &self.mode, self.member.id)
            .await
            .or_internal("read member customer")?
        else {
            return Ok(None);
        };
        let Some(id) = self.invoice_default_card_id(&customer).await? else {
            return Ok(None);
        };
        let pm = self
            .stripe
            .get_object(&format!("/payment_methods/{id}"))
            .await
            .map_err(payment_error)?;
        // A default that was detached since is no card of the member's.
        if pm["customer"].as_str() != Some(customer.as_str()) {
            return Ok(None);
        }
        Ok(read_card(&pm, Some(&id)))
    }

    pub(super) async fn card(&self, id: &str) -> Result<Option<Card>, AppError> {
        let pm = self
            .stripe
            .get_object(&format!("/payment_methods/{id}"))
            .await
            .map_err(payment_error)?;
        Ok(read_card(&pm, Some(id)))
    }

    /// The card renewals are charged to: the subscription's own, else the customer's
    /// invoice default (Checkout sets the first; "Make default" sets both).
    async fn default_card_id(&self, customer: &str) -> Result<Option<String>, AppError> {
        if let Some((sub, _)) =
            db::member::live_subscription(&self.state.pool, &self.mode, self.member.id)
                .await
                .or_internal("read member subscription")?
        {
            let sub = self
                .stripe
                .get_object(&format!("/subscriptions/{sub}"))
                .await
                .map_err(payment_error)?;
            if let Some(card) = text(&sub["default_payment_method"]) {
                return Ok(Some(card));
            }
        }
        self.invoice_default_card_id(customer).await
    }

    /// The customer's `invoice_settings.default_payment_method`.
    async fn invoice_default_card_id(&self, customer: &str) -> Result<Option<String>, AppError> {
        let customer = self
            .stripe
            .get_object(&format!("/customers/{customer}"))
            .await
            .map_err(payment_error)?;
        Ok(text(
            &customer["invoice_settings"]["default_payment_method"],
        ))
    }

    /// Makes a card the default for the customer and for the member's subscription, so the
    /// next renewal is charged to it.
    pub async fn set_default_card(&self, id: &str) -> Result<Vec<Card>, AppError> {
        let customer = self.own_card(id).await?;
        let form = Form::new().set("invoice_settings[default_payment_method]", id);
        self.stripe
            .post(
                &format!("/customers/{customer}"),
                &form,
                &fresh_key("default-card"),
            )
            .await
            .map_err(payment_error)?;
        if let Some((sub, _)) =
            db::member::live_subscription(&self.state.pool, &self.mode, self.member.id)
                .await
                .or_internal("read member subscription")?
        {
            let form = Form::new().set("default_payment_method", id);
            self.stripe
                .post(
                    &format!("/subscriptions/{sub}"),
                    &form,
                    &fresh_key("sub-card"),
                )
                .await
                .map_err(payment_error)?;
        }
        self.cards().await
    }

    /// Removes a card, unless it is the only one paying for a live subscription.
    pub async fn remove_card(&self, id: &str) -> Result<Vec<Card>, AppError> {
        self.own_card(id).await?;
        let cards = self.cards().await?;
        let live = db::member::live_subscription(&self.state.pool, &self.mode, self.member.id)
            .await
            .or_internal("read member subscription")?;
        if cards.len() == 1 && live.is_some() {
            return Err(AppError::Conflict(
                "This is the card paying for your plan. Add another card before removing it."
                    .into(),
            ));
        }
        self.stripe
            .post(
                &format!("/payment_methods/{id}/detach"),
                &Form::new(),
                &fresh_key("detach"),
            )
            .await
            .map_err(payment_error)?;
        if cards.iter().any(|c| c.id == id && c.is_default) {
            if let Some(next) = cards.iter().find(|c| c.id != id) {
                return self.set_default_card(&next.id).await;
            }
        }
        self.cards().await
    }

    /// The member's customer, if the card belongs to it; 404 otherwise.
    async fn own_card(&self, id: &str) -> Result<String, AppError> {
        let customer = db::member::customer_of(&self.state.pool, &self.mode, self.member.id)
            .await
            .or_internal("read member customer")?
            .ok_or(AppError::NotFound)?;
        if !id.starts_with("pm_") {
            return Err(AppError::NotFound);
        }
        let pm = self
            .stripe
            .get_object(&format!("/payment_methods/{id}"))
            .await
            .map_err(|_| AppError::NotFound)?;
        if pm["customer"].as_str() != Some(customer.as_str()) {
            return Err(AppError::NotFound);
        }
        Ok(customer)
    }
}

fn read_card(pm: &Value, default: Option<&str>) -> Option<Card> {
    let id = text(&pm["id"])?;
    let card = &pm["card"];
    Some(Card {
        is_default: default == Some(id.as_str()),
        id,
        brand: text(&card["brand"]).unwrap_or_else(|| "card".to_owned()),
        last4: text(&card["last4"]).unwrap_or_default(),
        exp_month: card["exp_month"].as_i64().unwrap_or(0),
        exp_year: card["exp_year"].as_i64().unwrap_or(0),
    })
}
