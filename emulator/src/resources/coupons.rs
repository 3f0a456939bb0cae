//! Coupons: a percentage or a fixed amount off, for once, some months, or forever. `valid` turns
//! false once `max_redemptions` is reached or `redeem_by` has passed, as on Stripe.

use serde_json::{json, Value};

use super::{merge_metadata, metadata, set_nullable_str, Ctx};
use crate::error::{ApiError, ApiResult};
use crate::events::{emit, emit_updated};
use crate::ids::random_tail;
use crate::list;
use crate::money::{parse_basis_points, percent_json};
use crate::params::Params;
use crate::state::{require, require_mut, State};

pub fn create(ctx: &mut Ctx<'_>, p: &Params) -> ApiResult<Value> {
    let id = p
        .str("id")
        .filter(|id| !id.is_empty())
        .map_or_else(|| random_tail(8).to_ascii_uppercase(), str::to_owned);
    if ctx.state.coupons.get(&id).is_some() {
        return Err(ApiError::invalid_request(
            "Coupon already exists.",
            Some("id"),
        ));
    }
    let percent_off = match p.str("percent_off") {
        Some(raw) => Some(
            parse_basis_points(raw)
                .filter(|bp| (1..=10_000).contains(bp))
                .ok_or_else(|| {
                    ApiError::invalid_request(
                        "Invalid percent_off: must be greater than 0 and at most 100, with two decimals at most.",
                        Some("percent_off"),
                    )
                })?,
        ),
        None => None,
    };
    let amount_off = p.int("amount_off")?;
    let currency = p.str("currency").map(str::to_ascii_lowercase);
    match (percent_off, amount_off) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(ApiError::invalid_request(
                "You must pass exactly one of percent_off or amount_off.",
                Some("percent_off"),
            ))
        }
        (None, Some(amount)) if amount < 1 => {
            return Err(ApiError::invalid_request(
                "Invalid amount_off: must be a positive integer.",
                Some("amount_off"),
            ))
        }
        (None, Some(_)) if currency.is_none() => return Err(ApiError::missing_param("currency")),
        _ => {}
    }
    let duration = p.str("duration").unwrap_or("once");
    if !["once", "repeating", "forever"].contains(&duration) {
        return Err(ApiError::invalid_request(
            format!(
                "Invalid duration: must be one of forever, once, or repeating (got {duration})"
            ),
            Some("duration"),
        ));
    }
    let months = p.int("duration_in_months")?;
    match (duration, months) {
        ("repeating", None) => return Err(ApiError::missing_param("duration_in_months")),
        ("repeating", Some(m)) if m < 1 => {
            return Err(ApiError::invalid_request(
                "Invalid duration_in_months: must be a positive integer.",
                Some("duration_in_months"),
            ))
        }
        ("once" | "forever", Some(_)) => {
            return Err(ApiError::invalid_request(
                "duration_in_months can only be set when duration is repeating.",
                Some("duration_in_months"),
            ))
        }
        _ => {}
    }
    let max_redemptions = p.int("max_redemptions")?;
    if max_redemptions.is_some_and(|m| m < 1) {
        return Err(ApiError::invalid_request(
            "Invalid max_redemptions: must be a positive integer.",
            Some("max_redemptions"),
        ));
    }
    let coupon = json!({
        "id": id,
        "object": "coupon",
        "amount_off": amount_off,
        "applies_to": null,
        "created": ctx.now(),
        "currency": if amount_off.is_some() { json!(currency) } else { Value::Null },
        "duration": duration,
        "duration_in_months": months,
        "livemode": false,
        "max_redemptions": max_redemptions,
        "metadata": metadata(p)?,
        "name": p.str("name"),
        "percent_off": percent_off.map_or(Value::Null, percent_json),
        "redeem_by": p.int("redeem_by")?,
        "times_redeemed": 0,
        "valid": true,
    });
    ctx.state.coupons.insert(coupon.clone());
    emit(ctx.state, "coupon.created", &coupon, None);
    Ok(coupon)
}

/// A coupon with `valid` brought up to date: it lapses by date as well as by use.
fn current(state: &State, id: &str, param: &str) -> ApiResult<Value> {
    let mut coupon = require(&state.coupons, "coupon", id, param)?.clone();
    if coupon["redeem_by"]
        .as_i64()
        .is_some_and(|by| by <= state.now())
    {
        coupon["valid"] = json!(false);
    }
    Ok(coupon)
}

pub fn retrieve(ctx: &mut Ctx<'_>, id: &str) -> ApiResult<Value> {
    current(ctx.state, id, "coupon")
}

/// A coupon that can still be applied, or Stripe's error naming `param`.
pub fn redeemable(state: &State, id: &str, param: &str) -> ApiResult<Value> {
    let coupon = current(state, id, param)?;
    if coupon["valid"] != true {
        return Err(ApiError::invalid_request(
            format!("Coupon expired: {id}"),
            Some(param),
        ));
    }
    Ok(coupon)
}

pub fn list(ctx: &mut Ctx<'_>, p: &Params) -> ApiResult<Value> {
    let mut items = Vec::new();
    for coupon in ctx.state.coupons.newest_first() {
        if list::created_matches(p, coupon)? {
            items.push(current(
                ctx.state,
                coupon["id"].as_str().unwrap_or_default(),
                "id",
            )?);
        }
    }
    list::paginate(items, p, "/v1/coupons")
}

/// Only the name and metadata of a coupon can change; its terms are fixed once created.
pub fn update(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> ApiResult<Value> {
    let coupon = require_mut(&mut ctx.state.coupons, "coupon", id, "coupon")?;
    let before = coupon.clone();
    set_nullable_str(coupon, p, "name");
    coupon["metadata"] = merge_metadata(&coupon["metadata"], p)?;
    let after = coupon.clone();
    emit_updated(ctx.state, "coupon.updated", &before, &after);
    current(ctx.state, id, "coupon")
}

/// Deleting a coupon stops new redemptions; discounts already applied keep running, as on Stripe.
pub fn delete(ctx: &mut Ctx<'_>, id: &str) -> ApiResult<Value> {
    let coupon = current(ctx.state, id, "coupon")?;
    ctx.state.coupons.remove(id);
    emit(ctx.state, "coupon.deleted", &coupon, None);
    Ok(json!({ "id": id, "object": "coupon", "deleted": true }))
}

/// Counts one use; the coupon stops being valid at its limit.
pub fn record_redemption(state: &mut State, id: &str) {
    if let Some(coupon) = state.coupons.get_mut(id) {
        let used = coupon["times_redeemed"].as_i64().unwrap_or(0) + 1;
        coupon["times_redeemed"] = json!(used);
        if coupon["max_redemptions"]
            .as_i64()
            .is_some_and(|max| used >= max)
        {
            coupon["valid"] = json!(false);
        }
    }
}
