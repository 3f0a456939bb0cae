//! Checkout Sessions: created through the API, paid on the hosted page.

mod line_items;
mod payment;

pub use payment::{complete, Outcome, PaymentForm};

use serde_json::{json, Value};

use super::{metadata, Ctx};
use crate::billing;
use crate::billing::discounts::Applied;
use crate::error::{ApiError, ApiResult};
use crate::events::emit;
use crate::ids::new_id;
use crate::list;
use crate::params::{parse_int, Params};
use crate::state::{require, require_mut, State};
use line_items::{line_item, read_line_items, session_amounts, session_tax_rates, ReadLines};

const DEFAULT_LIFETIME: i64 = 24 * 3600;

pub fn create(ctx: &mut Ctx<'_>, p: &Params) -> ApiResult<Value> {
    let mode = p.required_str("mode")?;
    if !["payment", "subscription", "setup"].contains(&mode) {
        return Err(ApiError::invalid_request(
            format!("Invalid mode: must be one of payment, setup, or subscription (got {mode})"),
            Some("mode"),
        ));
    }
    let customer = p.str("customer").filter(|c| !c.is_empty());
    let customer_email = p.str("customer_email").filter(|c| !c.is_empty());
    if customer.is_some() && customer_email.is_some() {
        return Err(ApiError::invalid_request(
            "You may only specify one of these parameters: customer, customer_email.",
            Some("customer_email"),
        ));
    }
    if let Some(c) = customer {
        require(&ctx.state.customers, "customer", c, "customer")?;
    }
    let automatic_tax = p.get("automatic_tax").and_then(|a| a.str("enabled")) == Some("true");
    if automatic_tax && !ctx.state.tax_enabled {
        return Err(ApiError::invalid_request(
            "Stripe Tax has not been activated on your account. Please visit https://stripe.com/docs/tax/set-up to get started.",
            Some("automatic_tax[enabled]"),
        ));
    }
    let ReadLines { lines, tax_rates } = read_line_items(ctx, p, mode)?;
    if let Some(i) = tax_rates.iter().position(|r| !r.is_empty()) {
        if automatic_tax {
            return Err(ApiError::invalid_request(
                "You cannot specify `tax_rates` on line items when `automatic_tax[enabled]` is true.",
                Some(&format!("line_items[{i}][tax_rates]")),
            ));
        }
    }
    let discount = billing::discounts::read_param(ctx.state, p)?;
    if discount.is_some() && p.bool("allow_promotion_codes")? == Some(true) {
        return Err(ApiError::invalid_request(
            "You may only specify one of these parameters: allow_promotion_codes, discounts.",
            Some("discounts"),
        ));
    }
    let currency = match lines.first() {
        Some((price, _)) => price["currency"].clone(),
        None => p
            .str("currency")
            .map(|c| json!(c.to_ascii_lowercase()))
            .unwrap_or(Value::Null),
    };
    let now = ctx.now();
    let expires_at =
        parse_int(p.str("expires_at"), "expires_at")?.unwrap_or(now + DEFAULT_LIFETIME);
    if expires_at < now + 1800 || expires_at > now + DEFAULT_LIFETIME {
        return Err(ApiError::invalid_request(
            "The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.",
            Some("expires_at"),
        ));
    }
    let rate = billing::tax_rate_for_customer(ctx.state, customer, automatic_tax);
    let amounts = session_amounts(
        &lines,
        &tax_rates,
        rate,
        discount.as_ref().map(|d| &d.coupon),
    );
    let id = new_id("cs_test");
    let url = format!("{}/c/pay/{id}", ctx.base_url);
    let success_url = p
        .str("success_url")
        .map(|u| u.replace("{CHECKOUT_SESSION_ID}", &id));
    let tax_id_collection =
        p.get("tax_id_collection").and_then(|t| t.str("enabled")) == Some("true");
    let customer_creation = p.str("customer_creation").or(if mode == "payment" {
        Some("if_required")
    } else {
        None
    });
    let trial_days = parse_int(
        p.get("subscription_data")
            .and_then(|d| d.str("trial_period_days")),
        "subscription_data[trial_period_days]",
    )?;
    if let Some(days) = trial_days {
        if mode != "subscription" || !(1..=730).contains(&days) {
            return Err(ApiError::invalid_request(
                "subscription_data[trial_period_days] must be between 1 and 730, in subscription mode.",
                Some("subscription_data[trial_period_days]"),
            ));
        }
    }
    let subscription_metadata = p
        .get("subscription_data")
        .and_then(|d| d.get("metadata"))
        .and_then(|m| m.as_map())
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), json!(v))))
                .collect::<serde_json::Map<_, _>>()
        })
        .unwrap_or_default();
    let session = json!({
        "id": id,
        "object": "checkout.session",
        "adaptive_pricing": { "enabled": false },
        "after_expiration": null,
        "allow_promotion_codes": p.bool("allow_promotion_codes")?,
        "amount_subtotal": if mode == "setup" { Value::Null } else { json!(amounts.subtotal) },
        "amount_total": if mode == "setup" { Value::Null } else if trial_days.is_some() { json!(0) } else { json!(amounts.total) },
        "automatic_tax": { "enabled": automatic_tax, "liability": if automatic_tax { json!({"type": "self"}) } else { Value::Null }, "provider": if automatic_tax { json!("stripe") } else { Value::Null }, "status": if automatic_tax { json!(if rate.is_some() { "complete" } else { "requires_location_inputs" }) } else { Value::Null } },
        "billing_address_collection": p.str("billing_address_collection"),
        "cancel_url": p.str("cancel_url"),
        "client_reference_id": p.str("client_reference_id"),
        "client_secret": null,
        "collected_information": null,
        "consent": null,
        "consent_collection": null,
        "created": now,
        "currency": currency,
        "custom_fields": [],
        "custom_text": { "after_submit": null, "shipping_address": null, "submit": null, "terms_of_service_acceptance": null },
        "customer": customer,
        "customer_creation": customer_creation,
        "customer_details": null,
        "customer_email": customer_email,
        "discounts": discount.as_ref().map(|d| vec![d.session_entry()]).unwrap_or_default(),
        "expires_at": expires_at,
        "invoice": null,
        "invoice_creation": if mode == "payment" { json!({ "enabled": p.get("invoice_creation").and_then(|i| i.str("enabled")) == Some("true"), "invoice_data": { "account_tax_ids": null, "custom_fields": null, "description": null, "footer": null, "issuer": null, "metadata": {}, "rendering_options": null } }) } else { Value::Null },
        "livemode": false,
        "locale": p.str("locale"),
        "metadata": metadata(p)?,
        "mode": mode,
        "payment_intent": null,
        "payment_link": null,
        "payment_method_collection": if mode == "subscription" { json!("always") } else { Value::Null },
        "payment_method_configuration_details": null,
        "payment_method_options": {},
        "payment_method_types": ["card"],
        "payment_status": if mode == "setup" { "no_payment_required" } else { "unpaid" },
        "phone_number_collection": { "enabled": false },
        "recovered_from": null,
        "saved_payment_method_options": null,
        "setup_intent": null,
        "shipping_address_collection": null,
        "shipping_cost": null,
        "shipping_options": [],
        "status": "open",
        "submit_type": p.str("submit_type"),
        "subscription": null,
        "success_url": success_url,
        "tax_id_collection": { "enabled": tax_id_collection, "required": "never" },
        "total_details": if mode == "setup" { Value::Null } else { json!({ "amount_discount": amounts.discount, "amount_shipping": 0, "amount_tax": amounts.tax }) },
        "ui_mode": "hosted",
        "url": url,
        "wallet_options": null,
    });
    let line_items: Vec<Value> = lines
        .iter()
        .zip(&tax_rates)
        .zip(&amounts.line_discounts)
        .map(|(((price, quantity), rates), off)| {
            line_item(ctx.state, price, *quantity, rates, rate, *off)
        })
        .collect();
    let line_items = json!({
        "object": "list",
        "data": line_items,
        "has_more": false,
        "url": format!("/v1/checkout/sessions/{id}/line_items"),
    });
    ctx.state.session_line_items.insert(id.clone(), line_items);
    ctx.state
        .subscription_metadata
        .insert(id.clone(), Value::Object(subscription_metadata));
    if let Some(days) = trial_days {
        ctx.state.subscription_trials.insert(id.clone(), days);
    }
    ctx.state.checkout_sessions.insert(session.clone());
    Ok(session)
}

pub fn retrieve(ctx: &mut Ctx<'_>, id: &str) -> ApiResult<Value> {
    expire_if_due(ctx.state, id);
    require(
        &ctx.state.checkout_sessions,
        "checkout.session",
        id,
        "session",
    )
    .cloned()
}

pub fn line_items(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> ApiResult<Value> {
    require(
        &ctx.state.checkout_sessions,
        "checkout.session",
        id,
        "session",
    )?;
    let items = ctx
        .state
        .session_line_items
        .get(id)
        .and_then(|l| l["data"].as_array())
        .cloned()
        .unwrap_or_default();
    list::paginate(items, p, &format!("/v1/checkout/sessions/{id}/line_items"))
}

pub fn list(ctx: &mut Ctx<'_>, p: &Params) -> ApiResult<Value> {
    let mut items = Vec::new();
    for session in ctx.state.checkout_sessions.newest_first() {
        if list::field_matches(p, "customer", session, "customer")
            && list::field_matches(p, "subscription", session, "subscription")
            && list::field_matches(p, "payment_intent", session, "payment_intent")
            && list::field_matches(p, "status", session, "status")
            && list::created_matches(p, session)?
        {
            items.push(session.clone());
        }
    }
    list::paginate(items, p, "/v1/checkout/sessions")
}

pub fn expire(ctx: &mut Ctx<'_>, id: &str) -> ApiResult<Value> {
    let session = require_mut(
        &mut ctx.state.checkout_sessions,
        "checkout.session",
        id,
        "session",
    )?;
    if session["status"] != "open" {
        return Err(ApiError::invalid_request(
            format!("Only Checkout Sessions with a status in [\"open\"] can be expired. This Checkout Session has a status of \"{}\".", session["status"].as_str().unwrap_or_default()),
            None,
        ));
    }
    session["status"] = json!("expired");
    let session = session.clone();
    emit(ctx.state, "checkout.session.expired", &session, None);
    Ok(session)
}

/// Applies a discount to an open session (a promotion code typed on the hosted page): its
/// totals and line items are priced again.
pub fn apply_discount(state: &mut State, id: &str, applied: &Applied) {
    let Some(session) = state.checkout_sessions.get(id).cloned() else {
        return;
    };
    let lines = payment::session_lines(state, id);
    let tax_rates = session_tax_rates(state, id);
    let rate = billing::tax_rate_for_customer(
        state,
        session["customer"].as_str(),
        session["automatic_tax"]["enabled"] == true,
    );
    let amounts = session_amounts(&lines, &tax_rates, rate, Some(&applied.coupon));
    let items: Vec<Value> = lines
        .iter()
        .zip(&tax_rates)
        .zip(&amounts.line_discounts)
        .map(|(((price, quantity), rates), off)| {
            line_item(state, price, *quantity, rates, rate, *off)
        })
        .collect();
    if let Some(stored) = state.session_line_items.get_mut(id) {
        stored["data"] = json!(items);
    }
    let trial = state.subscription_trials.contains_key(id);
    if let Some(stored) = state.checkout_sessions.get_mut(id) {
        stored["discounts"] = json!([applied.session_entry()]);
        stored["amount_subtotal"] = json!(amounts.subtotal);
        stored["amount_total"] = json!(if trial { 0 } else { amounts.total });
        stored["total_details"]["amount_discount"] = json!(amounts.discount);
        stored["total_details"]["amount_tax"] = json!(amounts.tax);
    }
}

/// The discount a session carries, checked again at payment: the coupon or code may have been
/// used up or switched off since it was applied.
pub fn session_discount(state: &State, session: &Value) -> ApiResult<Option<Applied>> {
    let entry = &session["discounts"][0];
    match (entry["promotion_code"].as_str(), entry["coupon"].as_str()) {
        (Some(promo), _) => {
            billing::discounts::resolve_promotion(state, promo, "promotion_code").map(Some)
        }
        (None, Some(coupon)) => Ok(Some(Applied {
            coupon: crate::resources::coupons::redeemable(state, coupon, "coupon")?,
            promotion_code: None,
        })),
        _ => Ok(None),
    }
}

/// Sessions past `expires_at` expire lazily, when next looked at.
pub fn expire_if_due(state: &mut State, id: &str) {
    let now = state.now();
    let Some(session) = state.checkout_sessions.get_mut(id) else {
        return;
    };
    if session["status"] == "open" && session["expires_at"].as_i64().is_some_and(|at| at <= now) {
        session["status"] = json!("expired");
        let session = session.clone();
        emit(state, "checkout.session.expired", &session, None);
    }
}
