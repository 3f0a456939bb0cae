//! Discounts: a redeemed coupon (maybe through a promotion code) attached to a subscription or a
//! Checkout payment. Invoices take the discount off before tax and list it in
//! `total_discount_amounts`.

use serde_json::{json, Value};

use super::amounts::period_boundary;
use crate::error::{ApiError, ApiResult};
use crate::events::emit_updated;
use crate::ids::new_id;
use crate::params::Params;
use crate::resources::{coupons, promotion_codes};
use crate::state::State;

/// A coupon about to be redeemed, and the promotion code it came through.
#[derive(Debug, Clone)]
pub struct Applied {
    pub coupon: Value,
    pub promotion_code: Option<String>,
}

impl Applied {
    /// The `discounts` entry of a Checkout Session.
    pub fn session_entry(&self) -> Value {
        json!({ "coupon": self.coupon["id"], "promotion_code": self.promotion_code })
    }
}

/// Reads `discounts[0][coupon]` or `discounts[0][promotion_code]`; one discount per object.
pub fn read_param(state: &State, p: &Params) -> ApiResult<Option<Applied>> {
    let entries = p.get("discounts").map(|d| d.list()).unwrap_or_default();
    let entries: Vec<_> = entries
        .into_iter()
        .filter(|e| e.as_map().is_some())
        .collect();
    match entries.as_slice() {
        [] => Ok(None),
        [entry] => match (entry.str("coupon"), entry.str("promotion_code")) {
            (Some(coupon), None) => Ok(Some(Applied {
                coupon: coupons::redeemable(state, coupon, "discounts[0][coupon]")?,
                promotion_code: None,
            })),
            (None, Some(promo)) => {
                resolve_promotion(state, promo, "discounts[0][promotion_code]").map(Some)
            }
            _ => Err(ApiError::invalid_request(
                "You may only specify one of these parameters: coupon, promotion_code.",
                Some("discounts[0]"),
            )),
        },
        _ => Err(ApiError::invalid_request(
            "The emulator supports one discount per object.",
            Some("discounts"),
        )),
    }
}

pub fn resolve_promotion(state: &State, id: &str, param: &str) -> ApiResult<Applied> {
    let promo = promotion_codes::redeemable(state, id, param)?;
    let coupon_id = promo["promotion"]["coupon"].as_str().unwrap_or_default();
    Ok(Applied {
        coupon: coupons::redeemable(state, coupon_id, param)?,
        promotion_code: Some(id.to_owned()),
    })
}

/// What a discount is attached to.
#[derive(Default)]
pub struct Owner<'a> {
    pub customer: Option<&'a str>,
    pub subscription: Option<&'a str>,
    pub checkout_session: Option<&'a str>,
}

/// Redeems: a `di_` discount object starting now, counted against the coupon and the code.
/// A `repeating` coupon's discount ends `duration_in_months` after it starts.
pub fn redeem(state: &mut State, applied: &Applied, owner: &Owner<'_>) -> Value {
    let start = state.now_for_customer(owner.customer);
    let end = match applied.coupon["duration"].as_str() {
        Some("repeating") => {
            let months = applied.coupon["duration_in_months"].as_i64().unwrap_or(1);
            json!(period_boundary(start, "month", months, 1))
        }
        _ => Value::Null,
    };
    let discount = json!({
        "id": new_id("di"),
        "object": "discount",
        "checkout_session": owner.checkout_session,
        "customer": owner.customer,
        "customer_account": null,
        "end": end,
        "invoice": null,
        "invoice_item": null,
        "promotion_code": applied.promotion_code,
        "source": { "coupon": applied.coupon["id"], "type": "coupon" },
        "start": start,
        "subscription": owner.subscription,
        "subscription_item": null,
    });
    if let Some(id) = discount["id"].as_str() {
        state
            .discount_coupons
            .insert(id.to_owned(), applied.coupon.clone());
    }
    state.discounts.insert(discount.clone());
    if let Some(id) = applied.coupon["id"].as_str() {
        coupons::record_redemption(state, id);
    }
    if let Some(id) = &applied.promotion_code {
        promotion_codes::record_redemption(state, id);
    }
    discount
}

/// The discount of a subscription that still applies at `now`, and the coupon it was made from
/// (kept with it, since a coupon deleted later keeps discounting).
pub fn active_for(state: &State, sub: &Value, now: i64) -> Option<(String, Value)> {
    sub["discounts"].as_array()?.iter().find_map(|id| {
        let id = id.as_str()?;
        let discount = state.discounts.get(id)?;
        if discount["end"].as_i64().is_some_and(|end| end <= now) {
            return None;
        }
        Some((id.to_owned(), state.discount_coupons.get(id)?.clone()))
    })
}

/// A `once` discount is spent by the invoice it appeared on.
pub fn spend_if_once(state: &mut State, sub_id: &str, discount_id: &str, coupon: &Value) {
    if coupon["duration"] != "once" {
        return;
    }
    let Some(sub) = state.subscriptions.get_mut(sub_id) else {
        return;
    };
    let before = sub.clone();
    if let Some(list) = sub["discounts"].as_array_mut() {
        list.retain(|d| d.as_str() != Some(discount_id));
    }
    let after = sub.clone();
    emit_updated(state, "customer.subscription.updated", &before, &after);
}
