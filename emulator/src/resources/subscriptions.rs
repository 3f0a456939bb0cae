use serde_json::{json, Value};

use super::{merge_metadata, Ctx};
use crate::billing;
use crate::error::{ApiError, ApiResult};
use crate::events::emit_updated;
use crate::list;
use crate::params::Params;
use crate::resources::tax_rates::resolve_list;
use crate::state::{require, require_mut, State};

/// Subscriptions created through the API (Checkout creates them too). `payment_behavior` decides
/// what a failed first payment does: `allow_incomplete` keeps an `incomplete` subscription,
/// `error_if_incomplete` answers 402 and keeps nothing, `default_incomplete` does not charge yet.
pub fn create(ctx: &mut Ctx<'_>, p: &Params) -> ApiResult<Value> {
    let customer = p.required_str("customer")?.to_owned();
    require(&ctx.state.customers, "customer", &customer, "customer")?;
    let items = p.get("items").map(|i| i.list()).unwrap_or_default();
    if items.is_empty() {
        return Err(ApiError::missing_param("items"));
    }
    let mut lines = Vec::new();
    let mut tax_rates = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let param = format!("items[{i}][price]");
        let price_id = item
            .str("price")
            .ok_or_else(|| ApiError::missing_param(&param))?;
        let price = require(&ctx.state.prices, "price", price_id, &param)?.clone();
        if price["recurring"].is_null() || price["active"] == false {
            return Err(ApiError::invalid_request(
                "The price must be an active recurring price.",
                Some(&param),
            ));
        }
        if lines
            .first()
            .is_some_and(|(first, _): &(Value, i64)| first["currency"] != price["currency"])
        {
            return Err(ApiError::invalid_request(
                "All prices must use the same currency.",
                Some(&param),
            ));
        }
        let quantity =
            crate::params::parse_int(item.str("quantity"), &format!("items[{i}][quantity]"))?
                .unwrap_or(1);
        lines.push((price, quantity.max(1)));
        tax_rates.push(resolve_list(
            ctx.state,
            Some(item),
            "tax_rates",
            &format!("items[{i}][tax_rates]"),
        )?);
    }
    let default_tax_rates = crate::resources::tax_rates::resolve(
        ctx.state,
        &p.strings("default_tax_rates"),
        "default_tax_rates",
    )?;
    let behavior = p.str("payment_behavior").unwrap_or("allow_incomplete");
    if ![
        "allow_incomplete",
        "error_if_incomplete",
        "default_incomplete",
        "pending_if_incomplete",
    ]
    .contains(&behavior)
    {
        return Err(ApiError::invalid_request(
            format!("Invalid payment_behavior: {behavior}"),
            Some("payment_behavior"),
        ));
    }
    let pm = match p.str("default_payment_method").filter(|s| !s.is_empty()) {
        Some(pm) => {
            let method = require(
                &ctx.state.payment_methods,
                "PaymentMethod",
                pm,
                "default_payment_method",
            )?;
            if method["customer"].as_str() != Some(customer.as_str()) {
                return Err(ApiError::invalid_request(
                    format!("The customer does not have a payment method with the ID {pm}. The payment method must be attached to the customer."),
                    Some("default_payment_method"),
                ));
            }
            Some(pm.to_owned())
        }
        None => None,
    };
    let customer_default = ctx.state.customers.get(&customer).and_then(|c| {
        c["invoice_settings"]["default_payment_method"]
            .as_str()
            .map(str::to_owned)
    });
    let trial_days = p.int("trial_period_days")?.filter(|d| *d > 0);
    if pm.is_none()
        && customer_default.is_none()
        && behavior != "default_incomplete"
        && trial_days.is_none()
    {
        return Err(ApiError::invalid_request(
            "This customer has no attached payment source or default payment method. Please consider adding a default payment method.",
            None,
        ));
    }
    let automatic_tax = p.get("automatic_tax").and_then(|a| a.str("enabled")) == Some("true");
    if automatic_tax && !ctx.state.tax_enabled {
        return Err(ApiError::invalid_request(
            "Stripe Tax has not been activated on your account.",
            Some("automatic_tax[enabled]"),
        ));
    }
    if automatic_tax {
        let manual = if !default_tax_rates.is_empty() {
            Some("default_tax_rates".to_owned())
        } else {
            tax_rates
                .iter()
                .position(|r| !r.is_empty())
                .map(|i| format!("items[{i}][tax_rates]"))
        };
        if let Some(param) = manual {
            return Err(ApiError::invalid_request(
                format!("You cannot set {param} while automatic_tax is enabled."),
                Some(&param),
            ));
        }
    }
    let discount = billing::discounts::read_param(ctx.state, p)?;
    let new = billing::NewSubscription {
        tax_rates,
        default_tax_rates,
        customer: &customer,
        lines,
        payment_method: pm.as_deref(),
        metadata: super::metadata(p)?,
        automatic_tax,
        trial_days,
        discount,
    };
    let events_before = ctx.state.outbox.len();
    let sub = billing::create_subscription(ctx.state, &new);
    let sub_id = sub["id"].as_str().unwrap_or_default().to_owned();
    let base_url = ctx.base_url.to_owned();
    let paid = billing::invoice_subscription_with(
        ctx.state,
        &sub_id,
        "subscription_create",
        &base_url,
        behavior != "default_incomplete",
    );
    if paid {
        let status = if trial_days.is_some() {
            "trialing"
        } else {
            "active"
        };
        billing::set_subscription_status(ctx.state, &sub_id, status);
    } else if behavior == "error_if_incomplete" {
        let invoice = ctx
            .state
            .subscriptions
            .get(&sub_id)
            .and_then(|s| s["latest_invoice"].as_str())
            .map(str::to_owned);
        if let Some(invoice) = invoice {
            ctx.state.invoices.remove(&invoice);
        }
        ctx.state.subscriptions.remove(&sub_id);
        // The subscription never existed for the client: its events are withdrawn too. The
        // failed payment intent and charge stay, as failed attempts do on Stripe.
        let withdrawn: Vec<Value> = ctx.state.outbox.drain(events_before..).collect();
        for event in withdrawn {
            let kind = event["type"].as_str().unwrap_or_default();
            if kind.starts_with("payment_intent.") || kind.starts_with("charge.") {
                ctx.state.outbox.push(event);
            } else if let Some(id) = event["id"].as_str() {
                ctx.state.events.remove(id);
            }
        }
        return Err(ApiError::card_declined(
            "generic_decline",
            crate::resources::payments::DECLINE_MESSAGE,
        ));
    }
    if let Some(true) = p.bool("cancel_at_period_end")? {
        return update(
            ctx,
            &sub_id,
            &crate::params::Params::parse("cancel_at_period_end=true")?,
        );
    }
    require(&ctx.state.subscriptions, "subscription", &sub_id, "id").cloned()
}

pub fn retrieve(ctx: &mut Ctx<'_>, id: &str) -> ApiResult<Value> {
    require(&ctx.state.subscriptions, "subscription", id, "id").cloned()
}

pub fn list(ctx: &mut Ctx<'_>, p: &Params) -> ApiResult<Value> {
    // Stripe hides canceled subscriptions unless asked for them (or for all).
    let status = p.str("status");
    let price = p.str("price");
    let mut items = Vec::new();
    for sub in ctx.state.subscriptions.newest_first() {
        let status_ok = match status {
            None => sub["status"] != "canceled",
            Some("all") => true,
            Some(s) => sub["status"].as_str() == Some(s),
        };
        let price_ok = price.is_none_or(|want| {
            sub["items"]["data"].as_array().is_some_and(|items| {
                items
                    .iter()
                    .any(|i| i["price"]["id"].as_str() == Some(want))
            })
        });
        if status_ok
            && price_ok
            && list::field_matches(p, "customer", sub, "customer")
            && list::field_matches(p, "test_clock", sub, "test_clock")
            && list::created_matches(p, sub)?
        {
            items.push(sub.clone());
        }
    }
    list::paginate(items, p, "/v1/subscriptions")
}

pub fn update(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> ApiResult<Value> {
    if p.get("items").is_some() {
        return change_items(ctx, id, p);
    }
    if let Some(pm) = p.str("default_payment_method").filter(|pm| !pm.is_empty()) {
        let customer =
            require(&ctx.state.subscriptions, "subscription", id, "id")?["customer"].clone();
        let method = require(
            &ctx.state.payment_methods,
            "PaymentMethod",
            pm,
            "default_payment_method",
        )?;
        if method["customer"] != customer {
            return Err(ApiError::invalid_request(
                format!("The customer does not have a payment method with the ID {pm}. The payment method must be attached to the customer."),
                Some("default_payment_method"),
            ));
        }
    }
    let customer = require(&ctx.state.subscriptions, "subscription", id, "id")?["customer"]
        .as_str()
        .map(str::to_owned);
    let automatic_tax = match p.get("automatic_tax").and_then(|a| a.str("enabled")) {
        Some(raw) => crate::params::parse_bool(Some(raw), "automatic_tax[enabled]")?,
        None => None,
    };
    if automatic_tax == Some(true) && !ctx.state.tax_enabled {
        return Err(ApiError::invalid_request(
            "Stripe Tax has not been activated on your account. Please visit https://stripe.com/docs/tax/set-up to get started.",
            Some("automatic_tax[enabled]"),
        ));
    }
    let now = ctx.state.now_for_customer(customer.as_deref());
    let sub = require_mut(&mut ctx.state.subscriptions, "subscription", id, "id")?;
    if sub["status"] == "canceled" {
        return Err(ApiError::invalid_request(
            "A canceled subscription can only update its cancellation_details and metadata.",
            None,
        ));
    }
    let before = sub.clone();
    if let Some(at_period_end) = p.bool("cancel_at_period_end")? {
        let (_, end) = billing::current_period(sub);
        sub["cancel_at_period_end"] = json!(at_period_end);
        sub["cancel_at"] = if at_period_end {
            json!(end)
        } else {
            Value::Null
        };
        sub["canceled_at"] = if at_period_end {
            json!(now.min(end))
        } else {
            Value::Null
        };
    }
    if let Some(enabled) = automatic_tax {
        sub["automatic_tax"]["enabled"] = json!(enabled);
        sub["automatic_tax"]["liability"] = if enabled {
            json!({ "type": "self" })
        } else {
            Value::Null
        };
    }
    if let Some(pm) = p.str("default_payment_method") {
        sub["default_payment_method"] = if pm.is_empty() {
            Value::Null
        } else {
            json!(pm)
        };
    }
    if let Some(details) = p.get("cancellation_details") {
        for key in ["comment", "feedback"] {
            if let Some(v) = details.str(key) {
                sub["cancellation_details"][key] =
                    if v.is_empty() { Value::Null } else { json!(v) };
            }
        }
    }
    sub["metadata"] = merge_metadata(&sub["metadata"], p)?;
    let after = sub.clone();
    emit_updated(ctx.state, "customer.subscription.updated", &before, &after);
    Ok(after)
}

/// `items[0][id]` with a new `price` and/or `quantity`: the emulator changes one existing item per
/// call; adding or deleting items is not supported yet.
fn change_items(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> ApiResult<Value> {
    let sub = require(&ctx.state.subscriptions, "subscription", id, "id")?;
    if sub["status"] == "canceled" {
        return Err(ApiError::invalid_request(
            "A canceled subscription can only update its cancellation_details and metadata.",
            None,
        ));
    }
    let change = read_item_change(ctx.state, sub, p, "")?;
    let base_url = ctx.base_url.to_owned();
    billing::change_item(ctx.state, id, &change, &base_url)?;
    if p.get("metadata").is_some() || p.get("cancel_at_period_end").is_some() {
        let mut rest = p.clone();
        rest.remove("items");
        return update(ctx, id, &rest);
    }
    require(&ctx.state.subscriptions, "subscription", id, "id").cloned()
}

/// The one item change in `items`, `proration_behavior` and `payment_behavior` of `p`
/// (`subscription_details` of an invoice preview, `prefix` naming it in errors).
pub(super) fn read_item_change<'a>(
    state: &State,
    sub: &Value,
    p: &'a Params,
    prefix: &str,
) -> ApiResult<billing::ItemChange<'a>> {
    let name = |field: &str| match (prefix, field.split_once('[')) {
        ("", _) => field.to_owned(),
        (_, Some((head, rest))) => format!("{prefix}[{head}][{rest}"),
        (_, None) => format!("{prefix}[{field}]"),
    };
    let items = p.get("items").map(|i| i.list()).unwrap_or_default();
    let [item] = items.as_slice() else {
        return Err(ApiError::invalid_request(
            "The emulator supports changing exactly one existing item per update.",
            Some(&name("items")),
        ));
    };
    let item_id = item
        .str("id")
        .ok_or_else(|| ApiError::missing_param(&name("items[0][id]")))?;
    if item.str("deleted").is_some() {
        return Err(ApiError::invalid_request(
            "The emulator does not support deleting items yet.",
            Some(&name("items[0][deleted]")),
        ));
    }
    let current_price = sub["items"]["data"]
        .as_array()
        .and_then(|all| all.iter().find(|i| i["id"].as_str() == Some(item_id)))
        .map(|i| i["price"].clone())
        .unwrap_or(Value::Null);
    let new_price = match item.str("price") {
        Some(price) => {
            let found = require(&state.prices, "price", price, &name("items[0][price]"))?.clone();
            if found["recurring"].is_null() || found["active"] == false {
                return Err(ApiError::invalid_request(
                    "The price must be an active recurring price.",
                    Some(&name("items[0][price]")),
                ));
            }
            found
        }
        None => current_price,
    };
    let quantity = crate::params::parse_int(item.str("quantity"), &name("items[0][quantity]"))?;
    if quantity.is_some_and(|q| q < 1) {
        return Err(ApiError::invalid_request(
            "Quantity must be at least 1.",
            Some(&name("items[0][quantity]")),
        ));
    }
    Ok(billing::ItemChange {
        item_id,
        new_price,
        quantity,
        proration: billing::Proration::parse(p.str("proration_behavior"))?,
        on_failure: billing::IfIncomplete::parse(p.str("payment_behavior")),
    })
}

pub fn cancel(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> ApiResult<Value> {
    let sub = require(&ctx.state.subscriptions, "subscription", id, "id")?;
    if sub["status"] == "canceled" {
        return Err(ApiError::invalid_request(
            format!("A canceled subscription can only update its cancellation_details and metadata. (subscription {id})"),
            None,
        ));
    }
    if let Some(comment) = p.get("cancellation_details").and_then(|d| d.str("comment")) {
        if let Some(sub) = ctx.state.subscriptions.get_mut(id) {
            sub["cancellation_details"]["comment"] = json!(comment);
        }
    }
    billing::cancel_now(ctx.state, id, "cancellation_requested");
    require(&ctx.state.subscriptions, "subscription", id, "id").cloned()
}
