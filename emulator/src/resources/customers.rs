use serde_json::{json, Value};

use super::{address, merge_metadata, metadata, set_nullable_str, Ctx};
use crate::error::{ApiError, ApiResult};
use crate::events::{emit, emit_updated};
use crate::ids::{new_id, random_tail};
use crate::list;
use crate::params::Params;
use crate::state::{require, require_mut};

pub fn create(ctx: &mut Ctx<'_>, p: &Params) -> ApiResult<Value> {
    let clock = p.str("test_clock").filter(|c| !c.is_empty());
    if let Some(clock) = clock {
        require(&ctx.state.test_clocks, "test_clock", clock, "test_clock")?;
    }
    let mut customer = new_customer(
        ctx,
        p.str("email"),
        p.str("name"),
        address(p.get("address")),
        clock,
    );
    set_nullable_str(&mut customer, p, "phone");
    set_nullable_str(&mut customer, p, "description");
    customer["metadata"] = metadata(p)?;
    if let Some(exempt) = p.str("tax_exempt") {
        customer["tax_exempt"] = json!(exempt);
    }
    if let Some(now) = clock
        .and_then(|c| ctx.state.test_clocks.get(c))
        .and_then(|c| c["frozen_time"].as_i64())
    {
        customer["created"] = json!(now);
    }
    let tax_id_data: Vec<(String, String)> = p
        .get("tax_id_data")
        .map(|d| d.list())
        .unwrap_or_default()
        .iter()
        .map(|t| {
            (
                t.str("type").unwrap_or_default().to_owned(),
                t.str("value").unwrap_or_default().to_owned(),
            )
        })
        .collect();
    for (i, (kind, value)) in tax_id_data.iter().enumerate() {
        super::tax_ids::check(kind, value, &format!("tax_id_data[{i}][value]"))?;
    }
    ctx.state.customers.insert(customer.clone());
    emit(ctx.state, "customer.created", &customer, None);
    let id = customer["id"].as_str().unwrap_or_default().to_owned();
    for (i, (kind, value)) in tax_id_data.iter().enumerate() {
        super::tax_ids::add(
            ctx.state,
            &id,
            kind,
            value,
            &format!("tax_id_data[{i}][value]"),
        )?;
    }
    if let Some(pm) = p.str("payment_method").filter(|s| !s.is_empty()) {
        super::payment_methods::attach_to(ctx, pm, &id)?;
    }
    if let Some(pm) = p
        .get("invoice_settings")
        .and_then(|s| s.str("default_payment_method"))
    {
        return set_default_payment_method(ctx, &id, pm);
    }
    require(&ctx.state.customers, "customer", &id, "id").cloned()
}

/// A customer with every field Stripe returns; also used by Checkout when it creates one.
pub fn new_customer(
    ctx: &Ctx<'_>,
    email: Option<&str>,
    name: Option<&str>,
    address: Value,
    test_clock: Option<&str>,
) -> Value {
    json!({
        "id": new_id("cus"),
        "object": "customer",
        "address": address,
        "balance": 0,
        "created": ctx.now(),
        "currency": null,
        "default_source": null,
        "delinquent": false,
        "description": null,
        "discount": null,
        "email": email.filter(|e| !e.is_empty()),
        "invoice_prefix": random_tail(8).to_ascii_uppercase(),
        "invoice_settings": {
            "custom_fields": null,
            "default_payment_method": null,
            "footer": null,
            "rendering_options": null,
        },
        "livemode": false,
        "metadata": {},
        "name": name.filter(|n| !n.is_empty()),
        "next_invoice_sequence": 1,
        "phone": null,
        "preferred_locales": [],
        "shipping": null,
        "tax_exempt": "none",
        "test_clock": test_clock,
    })
}

pub fn retrieve(ctx: &mut Ctx<'_>, id: &str) -> ApiResult<Value> {
    match ctx.state.customers.get(id) {
        Some(c) => Ok(c.clone()),
        None if ctx.state.deleted_customers.contains(id) => {
            Ok(json!({"id": id, "object": "customer", "deleted": true}))
        }
        None => Err(ApiError::no_such("customer", id, "id")),
    }
}

pub fn update(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> ApiResult<Value> {
    let customer = require_mut(&mut ctx.state.customers, "customer", id, "id")?;
    let before = customer.clone();
    for key in ["email", "name", "phone", "description"] {
        set_nullable_str(customer, p, key);
    }
    if let Some(exempt) = p.str("tax_exempt") {
        customer["tax_exempt"] = json!(exempt);
    }
    match p.get("address") {
        Some(crate::params::Param::Str(s)) if s.is_empty() => customer["address"] = address(None),
        Some(a) => {
            let mut merged = customer["address"].clone();
            let new = address(Some(a));
            for key in ["city", "country", "line1", "line2", "postal_code", "state"] {
                if a.get(key).is_some() {
                    merged[key] = new[key].clone();
                }
            }
            customer["address"] = merged;
        }
        None => {}
    }
    customer["metadata"] = merge_metadata(&customer["metadata"], p)?;
    let after = customer.clone();
    emit_updated(ctx.state, "customer.updated", &before, &after);
    if let Some(pm) = p
        .get("invoice_settings")
        .and_then(|s| s.str("default_payment_method"))
    {
        return set_default_payment_method(ctx, id, pm);
    }
    Ok(after)
}

/// The card renewals are charged to; it must already be attached to this customer.
pub fn set_default_payment_method(
    ctx: &mut Ctx<'_>,
    customer_id: &str,
    pm: &str,
) -> ApiResult<Value> {
    let param = "invoice_settings[default_payment_method]";
    if !pm.is_empty() {
        let method = require(&ctx.state.payment_methods, "PaymentMethod", pm, param)?;
        if method["customer"].as_str() != Some(customer_id) {
            return Err(ApiError::invalid_request(
                format!("The customer does not have a payment method with the ID {pm}. The payment method must be attached to the customer."),
                Some(param),
            ));
        }
    }
    let customer = require_mut(&mut ctx.state.customers, "customer", customer_id, "id")?;
    let before = customer.clone();
    customer["invoice_settings"]["default_payment_method"] = if pm.is_empty() {
        Value::Null
    } else {
        json!(pm)
    };
    let after = customer.clone();
    emit_updated(ctx.state, "customer.updated", &before, &after);
    Ok(after)
}

/// Deleting a customer cancels their subscriptions at once, as Stripe does.
pub fn delete(ctx: &mut Ctx<'_>, id: &str) -> ApiResult<Value> {
    let customer = require(&ctx.state.customers, "customer", id, "id")?.clone();
    let subscriptions: Vec<String> = ctx
        .state
        .subscriptions
        .newest_first()
        .filter(|s| s["customer"].as_str() == Some(id) && s["status"] != "canceled")
        .filter_map(|s| s["id"].as_str().map(str::to_owned))
        .collect();
    for sub in subscriptions {
        crate::billing::cancel_now(ctx.state, &sub, "cancellation_requested");
    }
    ctx.state.customers.remove(id);
    ctx.state.deleted_customers.insert(id.to_owned());
    emit(ctx.state, "customer.deleted", &customer, None);
    Ok(json!({ "id": id, "object": "customer", "deleted": true }))
}

pub fn list(ctx: &mut Ctx<'_>, p: &Params) -> ApiResult<Value> {
    let mut items = Vec::new();
    for customer in ctx.state.customers.newest_first() {
        if list::field_matches(p, "email", customer, "email")
            && list::field_matches(p, "test_clock", customer, "test_clock")
            && list::created_matches(p, customer)?
        {
            items.push(customer.clone());
        }
    }
    list::paginate(items, p, "/v1/customers")
}
