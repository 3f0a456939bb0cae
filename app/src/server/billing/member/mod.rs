//! The member's own billing: buying through Checkout, managing their subscription, cards,
//! billing address and Tax IDs, and the customer portal.
//!
//! Every function acts for one signed-in member on their own Stripe customer. The browser
//! sends only Stripe price IDs from the active catalog and IDs of the member's own objects;
//! amounts, URLs and customers are decided here. Pages read Stripe's current state (what
//! the member just changed shows at once); access is still derived only from the webhook-fed
//! tables (`billing::access`).

mod address;
mod api;
mod checkout;
mod payment_methods;
mod subscription;

pub use api::owner_of;

use crate::model::{AppError, CurrentUser, StripeId, StripeSettingsView};
use crate::server::billing::events::objects::USER_METADATA_KEY;
use crate::server::billing::settings::payment_error;
use crate::server::db;
use crate::server::error::OrInternal;
use crate::server::stripe::{Form, StripeApi, StripePath};
use crate::server::AppState;
use serde_json::Value;

/// One member's billing, in the mode the console has selected.
pub struct MemberBilling<'a> {
    state: &'a AppState,
    member: &'a CurrentUser,
    stripe: StripeApi,
    mode: String,
    settings: StripeSettingsView,
}

impl<'a> MemberBilling<'a> {
    pub async fn new(state: &'a AppState, member: &'a CurrentUser) -> Result<Self, AppError> {
        let settings = state.settings().view().await?;
        if !settings.enabled {
            return Err(AppError::Payment(
                "Payments are not switched on yet. Please try again later.".into(),
            ));
        }
        let stripe = state.settings().stripe().await?;
        Ok(Self {
            state,
            member,
            mode: stripe.mode().as_str().to_owned(),
            stripe,
            settings,
        })
    }

    /// The member's Stripe customer, created once and reused. A per-member lock makes
    /// concurrent first purchases share one customer; the idempotency key does the same
    /// should Paydesk crash between Stripe's answer and the commit.
    pub async fn customer(&self) -> Result<StripeId, AppError> {
        let pool = &self.state.pool;
        if let Some(id) = self.existing_customer().await? {
            return Ok(id);
        }
        let mut tx = pool.begin().await.or_internal("begin customer creation")?;
        db::member::lock_member(&mut tx, self.member.id)
            .await
            .or_internal("lock member")?;
        if let Some(id) = db::member::customer_of(&mut *tx, &self.mode, self.member.id)
            .await
            .or_internal("read member customer")?
        {
            return known_id(&id);
        }
        let form = Form::new()
            .set("email", self.member.email.as_str())
            .set("name", self.member.name.as_str())
            .set(
                format!("metadata[{USER_METADATA_KEY}]"),
                self.member.id.to_string(),
            );
        let key = format!("paydesk-customer-{}-{}", self.mode, self.member.id);
        let customer = self
            .stripe
            .post(&StripePath::new("/customers"), &form, &key)
            .await
            .map_err(payment_error)?;
        let id = text(&customer["id"])
            .ok_or_else(|| AppError::Payment("Stripe answered without a customer id.".into()))?;
        let id = known_id(&id)?;
        db::stripe_state::link_customer(&mut tx, &self.mode, id.as_str(), self.member.id)
            .await
            .or_internal("link new customer")?;
        tx.commit().await.or_internal("commit customer creation")?;
        Ok(id)
    }

    /// The member's customer if they have one yet, without creating it.
    pub(super) async fn existing_customer(&self) -> Result<Option<StripeId>, AppError> {
        db::member::customer_of(&self.state.pool, &self.mode, self.member.id)
            .await
            .or_internal("read member customer")?
            .as_deref()
            .map(known_id)
            .transpose()
    }

    /// The ID of the member's live subscription, if any.
    pub(super) async fn live_subscription_id(&self) -> Result<Option<StripeId>, AppError> {
        db::member::live_subscription(&self.state.pool, &self.mode, self.member.id)
            .await
            .or_internal("read member subscription")?
            .map(|(id, _)| known_id(&id))
            .transpose()
    }

    /// The member's subscription by id, or 404 when it is not theirs (or no ID at all).
    async fn own_subscription(&self, id: &str) -> Result<(StripeId, Value), AppError> {
        let id = named_id("sub", id)?;
        if self.live_subscription_id().await?.as_ref() != Some(&id) {
            return Err(AppError::NotFound);
        }
        let sub = self.stripe.subscription(&id).await.map_err(payment_error)?;
        Ok((id, sub))
    }

    /// Stripe's customer portal for this member, returning to the overview.
    pub async fn portal(&self) -> Result<String, AppError> {
        let customer = self.customer().await?;
        let form = Form::new()
            .set("customer", customer.as_str())
            .set("return_url", self.url("/billing"));
        let session = self
            .stripe
            .post(
                &StripePath::new("/billing_portal/sessions"),
                &form,
                &fresh_key("portal"),
            )
            .await
            .map_err(payment_error)?;
        text(&session["url"])
            .ok_or_else(|| AppError::Payment("Stripe answered without a portal URL.".into()))
    }

    /// An absolute URL on Paydesk, built from PAYDESK_PUBLIC_URL only.
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.state.public_url.trim_end_matches('/'))
    }
}

/// An idempotency key for a write that is made once per click.
fn fresh_key(what: &str) -> String {
    use rand::Rng;
    let nonce: u128 = rand::thread_rng().gen();
    format!("paydesk-{what}-{nonce:032x}")
}

/// An ID Paydesk stored or Stripe sent: one that is not well-formed is a fault, not input.
fn known_id(id: &str) -> Result<StripeId, AppError> {
    StripeId::parse(id).or_internal("read a stored Stripe ID")
}

/// An ID a member or API token named: a malformed one is as absent as a foreign one.
fn named_id(prefix: &str, id: &str) -> Result<StripeId, AppError> {
    StripeId::parse_prefixed(prefix, id.trim()).map_err(|_| AppError::NotFound)
}

fn text(value: &Value) -> Option<String> {
    value.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
}
