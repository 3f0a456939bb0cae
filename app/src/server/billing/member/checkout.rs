//! Buying: the plans page, opening Checkout for a price, adding a card through Checkout in
//! setup mode, and the success page's wait for the webhook.

use super::{fresh_key, known_id, named_id, text, MemberBilling};
use crate::model::{
    AppError, CheckoutStatus, Currency, Money, Offer, OfferPrice, PlanInterval, PlansPage,
    ProductKind,
};
use crate::server::billing::access::member_access;
use crate::server::billing::events::objects::{PRICE_METADATA_KEY, USER_METADATA_KEY};
use crate::server::billing::settings::payment_error;
use crate::server::db;
use crate::server::db::member::{NewCheckout, OfferRow};
use crate::server::error::OrInternal;
use crate::server::stripe::{CheckoutSession, Form};
use chrono::{DateTime, Utc};

/// Product metadata naming a plan's free trial, in days (Stripe's own parameter name).
pub const TRIAL_METADATA_KEY: &str = "trial_period_days";

impl MemberBilling<'_> {
    pub async fn plans(&self) -> Result<PlansPage, AppError> {
        let pool = &self.state.pool;
        let rows = db::member::offers(pool, &self.mode)
            .await
            .or_internal("list offers")?;
        let current = db::member::live_subscription(pool, &self.mode, self.member.id)
            .await
            .or_internal("read member subscription")?;
        let current_price_id = match &current {
            Some((id, _)) => db::stripe_state::stored_object(
                &mut *pool.acquire().await.or_internal("acquire connection")?,
                &self.mode,
                id,
            )
            .await
            .or_internal("read stored subscription")?
            .and_then(|o| text(&o.object["items"]["data"][0]["price"]["id"])),
            None => None,
        };
        let currency = match &current_price_id {
            Some(price) => rows
                .iter()
                .find(|r| &r.stripe_price_id == price)
                .map(|r| r.currency.clone()),
            None => None,
        };
        let mut offers: Vec<(uuid::Uuid, Offer)> = Vec::new();
        let mut conn = pool.acquire().await.or_internal("acquire connection")?;
        for row in rows {
            let price = OfferPrice {
                price_id: row.stripe_price_id.clone(),
                amount: money(&row)?,
                interval: row
                    .recurring_interval
                    .as_deref()
                    .and_then(PlanInterval::parse),
            };
            if let Some((_, offer)) = offers.iter_mut().find(|(id, _)| *id == row.product_id) {
                offer.prices.push(price);
                continue;
            }
            let remaining = match capacity(&row) {
                Some(capacity) => Some(
                    capacity
                        - db::member::units_taken(
                            &mut conn,
                            &self.mode,
                            row.product_id,
                            self.member.id,
                        )
                        .await
                        .or_internal("count units sold")?,
                ),
                None => None,
            };
            offers.push((
                row.product_id,
                Offer {
                    name: row.name.clone(),
                    description: row.description.clone(),
                    kind: kind(&row)?,
                    prices: vec![price],
                    remaining,
                    trial_days: trial_days(&row),
                    grants: grants(&row),
                },
            ));
        }
        // Stripe Tax adds tax on top of Paydesk's prices, which are entered before tax.
        let tax_note = if self.settings.automatic_tax {
            "plus tax"
        } else {
            ""
        };
        Ok(PlansPage {
            offers: offers.into_iter().map(|(_, o)| o).collect(),
            tax_note: tax_note.to_owned(),
            subscription_id: current.map(|(id, _)| id),
            current_price_id,
            currency,
        })
    }

    /// Opens Stripe Checkout for one price of the active catalog and returns its URL. Under a
    /// per-member lock: an open session for the same purchase is reused, and one for a
    /// different plan is expired first, so the member never holds two that could both be paid.
    pub async fn start_checkout(&self, price_id: &str) -> Result<String, AppError> {
        let pool = &self.state.pool;
        let offer = db::member::offer(pool, &self.mode, price_id)
            .await
            .or_internal("read offer")?
            .ok_or_else(|| {
                AppError::validation(
                    "price_id",
                    "That price is not on sale. Please pick another.",
                )
            })?;
        let kind = kind(&offer)?;
        let recurring = offer.recurring_interval.is_some();
        let customer = self.customer().await?;

        let mut tx = pool.begin().await.or_internal("begin checkout")?;
        db::member::lock_member(&mut tx, self.member.id)
            .await
            .or_internal("lock member")?;
        if kind == ProductKind::Plan {
            if let Some((_, status)) =
                db::member::live_subscription(&mut *tx, &self.mode, self.member.id)
                    .await
                    .or_internal("read member subscription")?
            {
                return Err(AppError::Conflict(format!(
                    "You already have a plan ({status}). Change it from your billing overview."
                )));
            }
        }
        if let Some(open) =
            db::member::open_checkout(&mut tx, &self.mode, self.member.id, kind.as_str())
                .await
                .or_internal("find open checkout")?
        {
            if open.price_id.as_deref() == Some(price_id) {
                return Ok(open.url);
            }
            if kind == ProductKind::Plan {
                self.stripe
                    .expire_checkout_session(
                        &known_id(&open.id)?,
                        &format!("paydesk-expire-{}", open.id),
                    )
                    .await
                    .map_err(payment_error)?;
                db::member::close_checkout(&mut tx, &self.mode, &open.id)
                    .await
                    .or_internal("close checkout")?;
            }
        }
        if let Some(capacity) = capacity(&offer) {
            let taken =
                db::member::units_taken(&mut tx, &self.mode, offer.product_id, self.member.id)
                    .await
                    .or_internal("count units sold")?;
            if taken >= capacity {
                return Err(AppError::Conflict(format!("{} is sold out.", offer.name)));
            }
        }
        let trial = match trial_days(&offer) {
            Some(days) if kind == ProductKind::Plan => {
                let first = !db::member::ever_subscribed(&mut *tx, &self.mode, self.member.id)
                    .await
                    .or_internal("read subscription history")?;
                first.then_some(days)
            }
            _ => None,
        };

        let mut form = Form::new()
            .set("mode", if recurring { "subscription" } else { "payment" })
            .set("customer", customer.as_str())
            .set("client_reference_id", self.member.id.to_string())
            .set("line_items[0][price]", price_id)
            .set("line_items[0][quantity]", "1")
            .set(format!("metadata[{PRICE_METADATA_KEY}]"), price_id)
            .set(
                format!("metadata[{USER_METADATA_KEY}]"),
                self.member.id.to_string(),
            )
            .set("allow_promotion_codes", "true")
            .set_if(
                capacity(&offer).is_some(),
                "expires_at",
                short_hold_expiry(Utc::now()).to_string(),
            )
            .set(
                "success_url",
                self.url("/billing/checkout/success?session_id={CHECKOUT_SESSION_ID}"),
            )
            .set("cancel_url", self.url("/billing/plans?checkout=canceled"))
            .set_if(
                recurring,
                format!("subscription_data[metadata][{USER_METADATA_KEY}]"),
                self.member.id.to_string(),
            )
            .set_if(
                trial.is_some(),
                "subscription_data[trial_period_days]",
                trial.unwrap_or_default().to_string(),
            );
        if self.settings.automatic_tax {
            form = form
                .set("automatic_tax[enabled]", "true")
                .set("customer_update[address]", "auto");
        } else {
            for (i, rate) in offer.tax_rate_ids.iter().enumerate() {
                form = form.set(format!("line_items[0][tax_rates][{i}]"), rate.as_str());
            }
        }
        if self.settings.tax_id_collection {
            form = form
                .set("tax_id_collection[enabled]", "true")
                .set("customer_update[name]", "auto")
                .set("customer_update[address]", "auto");
        }
        let session = self
            .stripe
            .create_checkout_session(&form, &fresh_key("checkout"))
            .await
            .map_err(payment_error)?;
        let (id, url) = session_link(&session)?;
        db::member::insert_checkout(
            &mut tx,
            &NewCheckout {
                mode: &self.mode,
                id: &id,
                user_id: self.member.id,
                kind: kind.as_str(),
                product_id: Some(offer.product_id),
                price_id: Some(price_id),
                url: &url,
                expires_at: expiry(&session),
            },
        )
        .await
        .or_internal("record checkout")?;
        tx.commit().await.or_internal("commit checkout")?;
        Ok(url)
    }

    /// Checkout in setup mode: the member adds a card on Stripe's page.
    pub async fn add_card(&self) -> Result<String, AppError> {
        let customer = self.customer().await?;
        let form = Form::new()
            .set("mode", "setup")
            .set("currency", self.currency_hint().await?)
            .set("customer", customer.as_str())
            .set("client_reference_id", self.member.id.to_string())
            .set("payment_method_types[0]", "card")
            .set(
                "success_url",
                self.url("/billing/checkout/success?session_id={CHECKOUT_SESSION_ID}"),
            )
            .set("cancel_url", self.url("/billing/payment-methods"));
        let session = self
            .stripe
            .create_checkout_session(&form, &fresh_key("setup"))
            .await
            .map_err(payment_error)?;
        let (id, url) = session_link(&session)?;
        let mut conn = self
            .state
            .pool
            .acquire()
            .await
            .or_internal("acquire connection")?;
        db::member::insert_checkout(
            &mut conn,
            &NewCheckout {
                mode: &self.mode,
                id: &id,
                user_id: self.member.id,
                kind: "setup",
                product_id: None,
                price_id: None,
                url: &url,
                expires_at: expiry(&session),
            },
        )
        .await
        .or_internal("record setup checkout")?;
        Ok(url)
    }

    /// The currency a setup session names: the member's plan's, else the catalog's first.
    async fn currency_hint(&self) -> Result<String, AppError> {
        let page = self.plans().await?;
        Ok(page
            .currency
            .or_else(|| {
                page.offers
                    .first()
                    .and_then(|o| o.prices.first())
                    .map(|p| p.amount.currency.code().to_owned())
            })
            .unwrap_or_else(|| "usd".to_owned()))
    }

    /// For the success page. Only sessions this member opened are answered; anything else
    /// is 404, so an ID in the URL reveals nothing.
    pub async fn checkout_status(&self, session_id: &str) -> Result<CheckoutStatus, AppError> {
        let pool = &self.state.pool;
        let session_id = named_id("cs", session_id)?;
        let (kind, product) =
            db::member::checkout_of_member(pool, &self.mode, session_id.as_str(), self.member.id)
                .await
                .or_internal("read checkout")?
                .ok_or(AppError::NotFound)?;
        let bought = match product {
            Some(id) => db::catalog::product(pool, id)
                .await
                .or_internal("read product")?
                .map(|p| p.name)
                .unwrap_or_else(|| "your purchase".to_owned()),
            None => "a new card".to_owned(),
        };
        let confirmed = if kind == "setup" {
            let session = self
                .stripe
                .checkout_session(&session_id)
                .await
                .map_err(payment_error)?;
            session.status.as_deref() == Some("complete")
        } else {
            db::member::purchase_recorded(pool, &self.mode, session_id.as_str())
                .await
                .or_internal("read purchase")?
        };
        // Read after the purchase: the worker records it in the same transaction as the
        // access it buys, so access read later includes it. Read first, a commit landing
        // between the two reads would confirm the purchase with the access from before it.
        let access = member_access(pool, self.member.id, &self.mode, self.state.access)
            .await
            .or_internal("derive access")?;
        // A plan's access comes with its subscription's own event, which may follow the
        // Checkout's: confirmed means the member can see it.
        let confirmed = confirmed && (kind != "plan" || access.has_access());
        Ok(CheckoutStatus {
            bought,
            kind,
            confirmed,
            access,
        })
    }
}

/// When a Checkout for something of limited capacity (a ticket) lapses: its unit is held
/// from others while it is open, so throwaway accounts must not hold units for Stripe's default
/// 24 hours. Stripe's shortest is 30 minutes; one more allows for clocks that differ.
pub const SHORT_HOLD_MINUTES: i64 = 31;

fn short_hold_expiry(now: DateTime<Utc>) -> i64 {
    (now + chrono::Duration::minutes(SHORT_HOLD_MINUTES)).timestamp()
}

fn session_link(session: &CheckoutSession) -> Result<(String, String), AppError> {
    match session.url.as_deref().filter(|u| !u.is_empty()) {
        Some(url) => Ok((session.id.to_string(), url.to_owned())),
        None => Err(AppError::Payment(
            "Stripe answered without a Checkout link.".into(),
        )),
    }
}

fn expiry(session: &CheckoutSession) -> DateTime<Utc> {
    session
        .expires_at
        .and_then(|t| DateTime::from_timestamp(t, 0))
        .unwrap_or_else(|| Utc::now() + chrono::Duration::hours(24))
}

fn kind(row: &OfferRow) -> Result<ProductKind, AppError> {
    ProductKind::parse(&row.kind)
        .ok_or_else(|| anyhow::anyhow!("unknown product kind {}", row.kind))
        .or_internal("read product kind")
}

fn money(row: &OfferRow) -> Result<Money, AppError> {
    let currency = Currency::parse(&row.currency)
        .map_err(|e| anyhow::anyhow!(e))
        .or_internal("read price currency")?;
    Ok(Money::new(row.unit_amount, currency))
}

fn metadata_number(row: &OfferRow, key: &str) -> Option<i64> {
    row.metadata[key]
        .as_str()
        .and_then(|v| v.trim().parse().ok())
        .filter(|n| *n > 0)
}

fn capacity(row: &OfferRow) -> Option<i64> {
    metadata_number(row, "capacity")
}

fn trial_days(row: &OfferRow) -> Option<u32> {
    metadata_number(row, TRIAL_METADATA_KEY).and_then(|d| u32::try_from(d.min(730)).ok())
}

fn grants(row: &OfferRow) -> Option<String> {
    let account = row.metadata["accountType"].as_str()?;
    let months = metadata_number(row, "interval")?;
    Some(format!(
        "{account} for {months} month{}",
        if months == 1 { "" } else { "s" }
    ))
}
