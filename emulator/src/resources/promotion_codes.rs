//! Promotion codes: customer-facing codes for a coupon, switched on and off with `active`.

use serde_json::{json, Value};

use super::{merge_metadata, metadata, Ctx};
use crate::error::{ApiError, ApiResult};
use crate::events::{emit, emit_updated};
use crate::ids::{new_id, random_tail};
use crate::list;
use crate::params::Params;
use crate::state::{require, require_mut, State};

/// Takes the coupon as `promotion[coupon]` (this API version) or as `coupon` (older versions).
pub fn create(ctx: &mut Ctx<'_>, p: &Params) -> ApiResult<Value> {
    let (coupon_id, param) = match (
        p.get("promotion").and_then(|x| x.str("coupon")),
        p.str("coupon"),
    ) {
        (Some(c), _) => (c, "promotion[coupon]"),
        (None, Some(c)) => (c, "coupon"),
        (None, None) => return Err(ApiError::missing_param("promotion[coupon]")),
    };
    let coupon = require(&ctx.state.coupons, "coupon", coupon_id, param)?.clone();
    let code = p
        .str("code")
        .filter(|c| !c.is_empty())
        .map_or_else(|| random_tail(8).to_ascii_uppercase(), str::to_owned);
    if find_by_code(ctx.state, &code).is_some_and(|existing| existing["active"] == true) {
        return Err(ApiError::invalid_request(
            "An active promotion code with `code` already exists.",
            Some("code"),
        ));
    }
    let max_redemptions = p.int("max_redemptions")?;
    if max_redemptions.is_some_and(|m| m < 1) {
        return Err(ApiError::invalid_request(
            "Invalid max_redemptions: must be a positive integer.",
            Some("max_redemptions"),
        ));
    }
    let customer = p.str("customer").filter(|c| !c.is_empty());
    if let Some(c) = customer {
        require(&ctx.state.customers, "customer", c, "customer")?;
    }
    let restrictions = p.get("restrictions");
    let promo = json!({
        "id": new_id("promo"),
        "object": "promotion_code",
        "active": p.bool("active")?.unwrap_or(true),
        "code": code,
        "created": ctx.now(),
        "customer": customer,
        "customer_account": null,
        "expires_at": p.int("expires_at")?,
        "livemode": false,
        "max_redemptions": max_redemptions,
        "metadata": metadata(p)?,
        "promotion": { "coupon": coupon["id"], "type": "coupon" },
        "restrictions": {
            "first_time_transaction": restrictions.and_then(|r| r.str("first_time_transaction")) == Some("true"),
            "minimum_amount": crate::params::parse_int(restrictions.and_then(|r| r.str("minimum_amount")), "restrictions[minimum_amount]")?,
            "minimum_amount_currency": restrictions.and_then(|r| r.str("minimum_amount_currency")),
        },
        "times_redeemed": 0,
    });
    ctx.state.promotion_codes.insert(promo.clone());
    emit(ctx.state, "promotion_code.created", &promo, None);
    Ok(promo)
}

fn find_by_code<'a>(state: &'a State, code: &str) -> Option<&'a Value> {
    state
        .promotion_codes
        .newest_first()
        .filter(|p| {
            p["code"]
                .as_str()
                .is_some_and(|c| c.eq_ignore_ascii_case(code))
        })
        .max_by_key(|p| p["active"] == true)
}

/// Why a typed code cannot be used, in the words the hosted Checkout page shows.
pub fn check_code(state: &State, code: &str) -> Result<Value, String> {
    let promo = find_by_code(state, code.trim())
        .ok_or_else(|| format!("The code {} is invalid.", code.trim()))?;
    let id = promo["id"].as_str().unwrap_or_default();
    redeemable(state, id, "promotion_code").map_err(|e| e.message)
}

/// An active, unexpired, not used-up promotion code with a valid coupon.
pub fn redeemable(state: &State, id: &str, param: &str) -> ApiResult<Value> {
    let promo = require(&state.promotion_codes, "promotion_code", id, param)?.clone();
    let code = promo["code"].as_str().unwrap_or_default();
    let expired = promo["expires_at"]
        .as_i64()
        .is_some_and(|at| at <= state.now());
    let used_up = promo["max_redemptions"]
        .as_i64()
        .is_some_and(|max| promo["times_redeemed"].as_i64().unwrap_or(0) >= max);
    if promo["active"] != true || expired || used_up {
        return Err(ApiError::invalid_request(
            format!("The promotion code {code} is no longer active."),
            Some(param),
        ));
    }
    let coupon = promo["promotion"]["coupon"].as_str().unwrap_or_default();
    super::coupons::redeemable(state, coupon, param).map_err(|_| {
        ApiError::invalid_request(
            format!("The promotion code {code} is no longer active."),
            Some(param),
        )
    })?;
    Ok(promo)
}

pub fn retrieve(ctx: &mut Ctx<'_>, id: &str) -> ApiResult<Value> {
    require(
        &ctx.state.promotion_codes,
        "promotion_code",
        id,
        "promotion_code",
    )
    .cloned()
}

pub fn list(ctx: &mut Ctx<'_>, p: &Params) -> ApiResult<Value> {
    let active = p.bool("active")?;
    let mut items = Vec::new();
    for promo in ctx.state.promotion_codes.newest_first() {
        let code_ok = p.str("code").is_none_or(|c| {
            promo["code"]
                .as_str()
                .is_some_and(|x| x.eq_ignore_ascii_case(c))
        });
        let coupon_ok = p
            .str("coupon")
            .is_none_or(|c| promo["promotion"]["coupon"].as_str() == Some(c));
        if code_ok
            && coupon_ok
            && active.is_none_or(|a| promo["active"] == a)
            && list::field_matches(p, "customer", promo, "customer")
            && list::created_matches(p, promo)?
        {
            items.push(promo.clone());
        }
    }
    list::paginate(items, p, "/v1/promotion_codes")
}

pub fn update(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> ApiResult<Value> {
    let promo = require_mut(
        &mut ctx.state.promotion_codes,
        "promotion_code",
        id,
        "promotion_code",
    )?;
    let before = promo.clone();
    if let Some(active) = p.bool("active")? {
        promo["active"] = json!(active);
    }
    promo["metadata"] = merge_metadata(&promo["metadata"], p)?;
    let after = promo.clone();
    emit_updated(ctx.state, "promotion_code.updated", &before, &after);
    Ok(after)
}

pub fn record_redemption(state: &mut State, id: &str) {
    if let Some(promo) = state.promotion_codes.get_mut(id) {
        promo["times_redeemed"] = json!(promo["times_redeemed"].as_i64().unwrap_or(0) + 1);
    }
}
