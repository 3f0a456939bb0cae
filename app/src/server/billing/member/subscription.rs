//! The member's subscription: what they have, cancel at period end, resume, and switching
//! plan or interval after a preview.

use super::{fresh_key, text, MemberBilling};
use crate::model::{
    AppError, ChangePreview, Currency, MemberOverview, MemberSubscription, Money, PlanInterval,
    PreviewLine, StripeId,
};
use crate::server::billing::access::member_access;
use crate::server::billing::settings::payment_error;
use crate::server::db;
use crate::server::error::OrInternal;
use crate::server::stripe::{Form, StripeFailure, StripePath};
use chrono::{DateTime, Utc};
use serde_json::Value;

impl MemberBilling<'_> {
    pub async fn overview(&self) -> Result<MemberOverview, AppError> {
        let pool = &self.state.pool;
        let access = member_access(pool, self.member.id, &self.mode, self.state.access)
            .await
            .or_internal("derive access")?;
        let mut notice = None;
        let subscription = match self.live_subscription_id().await? {
            None => None,
            Some(id) => match self.stripe.subscription(&id).await {
                Ok(sub) => Some(self.describe(&sub, true).await?),
                Err(failure) => {
                    tracing::warn!(subscription = %id, "reading from Stripe failed: {failure}");
                    notice = Some(
                        "Stripe could not be reached; this is the last state Paydesk saw.".into(),
                    );
                    let mut conn = pool.acquire().await.or_internal("acquire connection")?;
                    match db::stripe_state::stored_object(&mut conn, &self.mode, id.as_str())
                        .await
                        .or_internal("read stored subscription")?
                    {
                        Some(stored) => Some(self.describe(&stored.object, false).await?),
                        None => None,
                    }
                }
            },
        };
        Ok(MemberOverview {
            name: self.member.name.clone(),
            email: self.member.email.clone(),
            member_since: self.member.created_at,
            access,
            subscription,
            notice,
        })
    }

    /// A subscription object in the member's terms; with `live`, its card is read too.
    pub(super) async fn describe(
        &self,
        sub: &Value,
        live: bool,
    ) -> Result<MemberSubscription, AppError> {
        let item = &sub["items"]["data"][0];
        let price = &item["price"];
        let price_id = text(&price["id"]).unwrap_or_default();
        let product = self.product_name(&price_id).await?;
        let pending_change = match text(&sub["pending_update"]["subscription_items"][0]["price"]) {
            Some(pending) => Some(self.product_name(&pending).await?),
            None => None,
        };
        let card = match (live, text(&sub["default_payment_method"])) {
            (true, Some(pm)) => self.card(&pm).await?,
            // The subscription has no card of its own: renewals use the customer's default.
            (true, None) => self.invoice_default_card().await?,
            (false, _) => None,
        };
        Ok(MemberSubscription {
            id: text(&sub["id"]).unwrap_or_default(),
            product,
            price_id,
            status: text(&sub["status"]).unwrap_or_default(),
            amount: price_money(price)?,
            interval: price["recurring"]["interval"]
                .as_str()
                .and_then(PlanInterval::parse),
            current_period_end: time(&item["current_period_end"])
                .or_else(|| time(&sub["current_period_end"])),
            cancel_at_period_end: sub["cancel_at_period_end"] == true,
            trial_end: time(&sub["trial_end"]),
            card,
            pending_change,
        })
    }

    async fn product_name(&self, price_id: &str) -> Result<String, AppError> {
        let mut conn = self
            .state
            .pool
            .acquire()
            .await
            .or_internal("acquire connection")?;
        Ok(
            db::stripe_state::product_of_price(&mut conn, &self.mode, price_id)
                .await
                .or_internal("read product of price")?
                .map(|p| p.name)
                .unwrap_or_else(|| "Your plan".to_owned()),
        )
    }

    /// Cancels at the end of the period: access continues until then.
    pub async fn cancel(&self, id: &str) -> Result<MemberSubscription, AppError> {
        self.set_cancel_at_period_end(id, true).await
    }

    /// Takes back a cancellation before the period ends.
    pub async fn resume(&self, id: &str) -> Result<MemberSubscription, AppError> {
        self.set_cancel_at_period_end(id, false).await
    }

    async fn set_cancel_at_period_end(
        &self,
        id: &str,
        cancel: bool,
    ) -> Result<MemberSubscription, AppError> {
        let (id, sub) = self.own_subscription(id).await?;
        if !cancel && sub["cancel_at_period_end"] != true {
            return Err(AppError::Conflict("Your plan is not set to end.".into()));
        }
        let form = Form::new().set("cancel_at_period_end", cancel.to_string());
        let updated = self
            .stripe
            .update_subscription(
                &id,
                &form,
                &fresh_key(if cancel { "cancel" } else { "resume" }),
            )
            .await
            .map_err(payment_error)?;
        self.describe(&updated, true).await
    }

    /// What switching to `price_id` would charge, from Stripe's invoice preview.
    pub async fn preview_switch(
        &self,
        id: &str,
        price_id: &str,
    ) -> Result<ChangePreview, AppError> {
        let (id, sub, item) = self.switchable(id, price_id).await?;
        let form = Form::new()
            .set("subscription", id.as_str())
            .set("subscription_details[items][0][id]", item)
            .set("subscription_details[items][0][price]", price_id)
            .set(
                "subscription_details[proration_behavior]",
                "create_prorations",
            );
        let preview = self
            .stripe
            .post(
                &StripePath::new("/invoices/create_preview"),
                &form,
                &fresh_key("preview"),
            )
            .await
            .map_err(payment_error)?;
        let currency = Currency::parse(sub["currency"].as_str().unwrap_or_else(|| {
            sub["items"]["data"][0]["price"]["currency"]
                .as_str()
                .unwrap_or("usd")
        }))
        .map_err(|e| anyhow::anyhow!(e))
        .or_internal("read currency")?;
        let money = |v: &Value, what: &str| -> Result<Money, AppError> {
            Ok(Money::new(amount_of(v, what)?, currency.clone()))
        };
        let lines = preview["lines"]["data"]
            .as_array()
            .ok_or_else(|| missing("the preview's lines"))?
            .iter()
            .map(|l| -> Result<PreviewLine, AppError> {
                Ok(PreviewLine {
                    description: text(&l["description"]).unwrap_or_default(),
                    amount: money(&l["amount"], "a preview line's amount")?,
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        // No taxes at all is an empty list; a tax without an amount is Stripe's error.
        let tax: i64 = match preview["total_taxes"].as_array() {
            Some(taxes) => taxes
                .iter()
                .map(|t| amount_of(&t["amount"], "a preview tax amount"))
                .sum::<Result<i64, AppError>>()?,
            None if preview["total_taxes"].is_null() => 0,
            None => return Err(missing("the preview's taxes")),
        };
        let interval = self.price_interval(price_id).await?;
        Ok(ChangePreview {
            price_id: price_id.to_owned(),
            product: self.product_name(price_id).await?,
            interval,
            lines,
            tax: Money::new(tax, currency.clone()),
            amount_due: money(&preview["amount_due"], "the preview's amount due")?,
            charged_now: preview["billing_reason"] == "subscription_update",
            date: time(&preview["next_payment_attempt"]).or_else(|| time(&preview["period_start"])),
        })
    }

    /// Switches plan or interval. `pending_if_incomplete`: if the charge fails the member
    /// keeps what they had and nothing changes until it is paid.
    pub async fn switch(&self, id: &str, price_id: &str) -> Result<MemberSubscription, AppError> {
        let (id, _, item) = self.switchable(id, price_id).await?;
        let form = Form::new()
            .set("items[0][id]", item)
            .set("items[0][price]", price_id)
            .set("proration_behavior", "create_prorations")
            .set("payment_behavior", "pending_if_incomplete");
        let updated = self
            .stripe
            .update_subscription(&id, &form, &fresh_key("switch"))
            .await
            .map_err(payment_error)?;
        let described = self.describe(&updated, true).await?;
        if described.pending_change.is_some() {
            return Err(AppError::Payment(
                "Your card was declined, so your plan is unchanged. Update your card and try again."
                    .into(),
            ));
        }
        Ok(described)
    }

    /// The subscription and its item, if `price_id` is a plan price it may switch to.
    async fn switchable(
        &self,
        id: &str,
        price_id: &str,
    ) -> Result<(StripeId, Value, String), AppError> {
        let offer = db::member::offer(&self.state.pool, &self.mode, price_id)
            .await
            .or_internal("read offer")?
            .filter(|o| o.kind == "plan" && o.recurring_interval.is_some())
            .ok_or_else(|| {
                AppError::validation(
                    "price_id",
                    "That plan is not on offer. Please pick another.",
                )
            })?;
        let (id, sub) = self.own_subscription(id).await?;
        let item = &sub["items"]["data"][0];
        if item["price"]["id"].as_str() == Some(price_id) {
            return Err(AppError::validation(
                "price_id",
                "You are already on this plan.",
            ));
        }
        if item["price"]["currency"].as_str() != Some(offer.currency.as_str()) {
            return Err(AppError::validation(
                "price_id",
                "That price is in another currency than your plan.",
            ));
        }
        if !matches!(sub["status"].as_str(), Some("active" | "trialing")) {
            return Err(AppError::Conflict(
                "Your plan can be changed once its payment is settled.".into(),
            ));
        }
        let item = text(&item["id"]).ok_or(AppError::NotFound)?;
        Ok((id, sub, item))
    }

    async fn price_interval(&self, price_id: &str) -> Result<Option<PlanInterval>, AppError> {
        Ok(db::member::offer(&self.state.pool, &self.mode, price_id)
            .await
            .or_internal("read offer")?
            .and_then(|o| o.recurring_interval)
            .as_deref()
            .and_then(PlanInterval::parse))
    }
}

fn price_money(price: &Value) -> Result<Money, AppError> {
    let currency = price["currency"]
        .as_str()
        .ok_or_else(|| missing("the price's currency"))?;
    let currency = Currency::parse(currency)
        .map_err(|e| anyhow::anyhow!(e))
        .or_internal("read price currency")?;
    Ok(Money::new(
        amount_of(&price["unit_amount"], "the price's unit amount")?,
        currency,
    ))
}

/// An amount Stripe must send; without it Paydesk shows nothing rather than a zero.
fn amount_of(value: &Value, what: &str) -> Result<i64, AppError> {
    value.as_i64().ok_or_else(|| missing(what))
}

fn missing(what: &str) -> AppError {
    payment_error(StripeFailure::Unexpected(format!("{what} is missing")))
}

pub(super) fn time(value: &Value) -> Option<DateTime<Utc>> {
    value.as_i64().and_then(|t| DateTime::from_timestamp(t, 0))
}
