use serde_json::{json, Value};

use super::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::events::emit;
use crate::ids::{new_id, random_tail};
use crate::list;
use crate::params::Params;
use crate::state::{require, require_mut, CardBehavior, State};

pub struct Card<'a> {
    pub behavior: CardBehavior,
    pub last4: &'a str,
    pub exp_month: i64,
    pub exp_year: i64,
    pub billing_details: Value,
}

/// Stores a card payment method and remembers how it behaves when charged.
pub fn create_card(state: &mut State, card: &Card<'_>) -> Value {
    let brand = if card.last4 == "4444" {
        "mastercard"
    } else {
        "visa"
    };
    let pm = json!({
        "id": new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": card.billing_details,
        "card": {
            "brand": brand,
            "checks": { "address_line1_check": null, "address_postal_code_check": null, "cvc_check": "pass" },
            "country": "US",
            "display_brand": brand,
            "exp_month": card.exp_month,
            "exp_year": card.exp_year,
            "fingerprint": random_tail(16),
            "funding": "credit",
            "generated_from": null,
            "last4": card.last4,
            "networks": { "available": [brand], "preferred": null },
            "regulated_status": "unregulated",
            "three_d_secure_usage": { "supported": true },
            "wallet": null,
        },
        "created": state.now(),
        "customer": null,
        "livemode": false,
        "metadata": {},
        "type": "card",
    });
    if let Some(id) = pm["id"].as_str() {
        state.card_behaviors.insert(id.to_owned(), card.behavior);
    }
    state.payment_methods.insert(pm)
}

pub fn empty_billing_details() -> Value {
    json!({ "address": super::address(None), "email": null, "name": null, "phone": null, "tax_id": null })
}

pub fn retrieve(ctx: &mut Ctx<'_>, id: &str) -> ApiResult<Value> {
    require(
        &ctx.state.payment_methods,
        "PaymentMethod",
        id,
        "payment_method",
    )
    .cloned()
}

pub fn attach(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> ApiResult<Value> {
    let customer = p.required_str("customer")?;
    attach_to(ctx, id, customer)
}

/// Attaches an existing payment method, or first creates one from a `pm_card_*` test token.
pub fn attach_to(ctx: &mut Ctx<'_>, id: &str, customer: &str) -> ApiResult<Value> {
    require(&ctx.state.customers, "customer", customer, "customer")?;
    let id = match CardBehavior::from_test_token(id) {
        Some((behavior, last4)) => {
            let card = Card {
                behavior,
                last4,
                exp_month: 12,
                exp_year: 2034,
                billing_details: empty_billing_details(),
            };
            create_card(ctx.state, &card)["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        }
        None => id.to_owned(),
    };
    let pm = require_mut(
        &mut ctx.state.payment_methods,
        "PaymentMethod",
        &id,
        "payment_method",
    )?;
    match pm["customer"].as_str() {
        Some(current) if current == customer => return Ok(pm.clone()),
        Some(_) => {
            return Err(ApiError::invalid_request(
                "The payment method you provided has already been attached to a customer.",
                Some("payment_method"),
            ))
        }
        None => {}
    }
    if ctx.state.card_behaviors.get(&id) == Some(&CardBehavior::Declined) {
        return Err(ApiError::card_declined(
            "generic_decline",
            "Your card was declined.",
        ));
    }
    let pm = require_mut(
        &mut ctx.state.payment_methods,
        "PaymentMethod",
        &id,
        "payment_method",
    )?;
    pm["customer"] = json!(customer);
    let pm = pm.clone();
    emit(ctx.state, "payment_method.attached", &pm, None);
    Ok(pm)
}

pub fn detach(ctx: &mut Ctx<'_>, id: &str) -> ApiResult<Value> {
    let pm = require_mut(
        &mut ctx.state.payment_methods,
        "PaymentMethod",
        id,
        "payment_method",
    )?;
    let Some(customer) = pm["customer"].as_str().map(str::to_owned) else {
        return Err(ApiError::invalid_request(
            "The payment method you provided is not attached to a customer so detachment is impossible.",
            None,
        ));
    };
    let before = pm.clone();
    pm["customer"] = Value::Null;
    let after = pm.clone();
    if let Some(c) = ctx.state.customers.get_mut(&customer) {
        if c["invoice_settings"]["default_payment_method"].as_str() == Some(id) {
            c["invoice_settings"]["default_payment_method"] = Value::Null;
        }
    }
    emit(
        ctx.state,
        "payment_method.detached",
        &after,
        Some(json!({ "customer": before["customer"] })),
    );
    Ok(after)
}

pub fn list(ctx: &mut Ctx<'_>, p: &Params) -> ApiResult<Value> {
    let customer = p.str("customer");
    if let Some(c) = customer {
        require(&ctx.state.customers, "customer", c, "customer")?;
    }
    let items = ctx
        .state
        .payment_methods
        .newest_first()
        .filter(|pm| customer.is_none_or(|c| pm["customer"].as_str() == Some(c)))
        .filter(|pm| list::field_matches(p, "type", pm, "type"))
        .cloned()
        .collect();
    list::paginate(items, p, "/v1/payment_methods")
}

pub fn list_for_customer(ctx: &mut Ctx<'_>, customer: &str, p: &Params) -> ApiResult<Value> {
    require(&ctx.state.customers, "customer", customer, "customer")?;
    let items = ctx
        .state
        .payment_methods
        .newest_first()
        .filter(|pm| pm["customer"].as_str() == Some(customer))
        .filter(|pm| list::field_matches(p, "type", pm, "type"))
        .cloned()
        .collect();
    list::paginate(
        items,
        p,
        &format!("/v1/customers/{customer}/payment_methods"),
    )
}
