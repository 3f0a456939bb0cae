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

use crate::model::{AppError, CurrentUser, StripeSettingsView};
use crate::server::billing::events::objects::USER_METADATA_KEY;
use crate::server::billing::settings::payment_error;
use crate::server::db;
use crate::server::error::OrInternal;
use crate::server::stripe::{Form, StripeApi};
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
    pub async fn customer(&self) -> Result<String, AppError> {
        let pool = &self.state.pool;
        if let Some(id) = db::member::customer_of(pool, &self.mode, self.member.id)
            .await
            .or_internal("read member customer")?
        {
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
            return Ok(id);
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
            .post("/customers", &form, &key)
            .await
            .map_err(payment_error)?;
        let id = text(&customer["id"])
            .ok_or_else(|| AppError::Payment("Stripe answered without a customer id.".into()))?;
        db::stripe_state::link_customer(&mut tx, &self.mode, &id, self.member.id)
            .await
            .or_internal("link new customer")?;
        tx.commit().await.or_internal("commit customer creation")?;
        Ok(id)
    }

    /// The member's subscription by id, or 404 when it is not theirs.
    async fn own_subscription(&self, id: &str) -> Result<Value, AppError> {
        let owner = db::member::live_subscription(&self.state.pool, &self.mode, self.member.id)
            .await
            .or_internal("read member subscription")?;
        if owner.as_ref().map(|(sub, _)| sub.as_str()) != Some(id) {
            return Err(AppError::NotFound);
        }
        self.stripe
            .get_object(&format!("/subscriptions/{id}"))
            .await
            .map_err(payment_error)
    }

    /// Stripe's customer portal for this member, returning to the overview.
    pub async fn portal(&self) -> Result<String, AppError> {
        let customer = self.customer().await?;
        let form = Form::new()
            .set("customer", customer)
            .set("return_url", self.url("/billing"));
        let session = self
            .stripe
            .post("/billing_portal/sessions", &form, &fresh_key("portal"))
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

fn text(value: &Value) -> Option<String> {
    value.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
}
