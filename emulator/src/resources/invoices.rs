use serde_json::Value;

use super::Ctx;
use crate::error::ApiResult;
use crate::list;
use crate::params::Params;
use crate::state::require;

pub fn retrieve(ctx: &mut Ctx<'_>, id: &str) -> ApiResult<Value> {
    require(&ctx.state.invoices, "invoice", id, "invoice").cloned()
}

pub fn list(ctx: &mut Ctx<'_>, p: &Params) -> ApiResult<Value> {
    let subscription = p.str("subscription");
    let mut items = Vec::new();
    for invoice in ctx.state.invoices.newest_first() {
        let sub_ok = subscription.is_none_or(|s| {
            invoice["parent"]["subscription_details"]["subscription"].as_str() == Some(s)
        });
        if sub_ok
            && list::field_matches(p, "customer", invoice, "customer")
            && list::field_matches(p, "status", invoice, "status")
            && list::created_matches(p, invoice)?
        {
            items.push(invoice.clone());
        }
    }
    list::paginate(items, p, "/v1/invoices")
}

/// A preview of a subscription's next invoice, or of the invoice a change in
/// `subscription_details` would bring.
pub fn create_preview(ctx: &mut Ctx<'_>, p: &Params) -> ApiResult<Value> {
    let sub_id = p.required_str("subscription")?;
    let sub = require(
        &ctx.state.subscriptions,
        "subscription",
        sub_id,
        "subscription",
    )?;
    if let Some(customer) = p.str("customer") {
        if sub["customer"].as_str() != Some(customer) {
            return Err(crate::error::ApiError::invalid_request(
                "The subscription does not belong to this customer.",
                Some("customer"),
            ));
        }
    }
    let details = p.nested("subscription_details");
    let change = match details.get("items") {
        Some(_) => Some(super::subscriptions::read_item_change(
            ctx.state,
            sub,
            &details,
            "subscription_details",
        )?),
        None => None,
    };
    let base_url = ctx.base_url.to_owned();
    crate::billing::preview_change(ctx.state, sub_id, change.as_ref(), &base_url)
}

/// Finalizes a draft: refused while Stripe Tax cannot locate the customer of an invoice with
/// automatic tax, as Stripe does.
pub fn finalize(ctx: &mut Ctx<'_>, id: &str) -> ApiResult<Value> {
    let invoice = require(&ctx.state.invoices, "invoice", id, "invoice")?;
    if invoice["status"] != "draft" {
        return Err(crate::error::ApiError::invalid_request(
            format!("This invoice is already finalized, you can't re-finalize a non-draft invoice. (invoice {id})"),
            None,
        ));
    }
    let customer = invoice["customer"].as_str().unwrap_or_default().to_owned();
    let automatic_tax = invoice["automatic_tax"]["enabled"] == true;
    let located = ctx
        .state
        .customers
        .get(&customer)
        .is_some_and(|c| crate::tax::location_supported(&c["address"]));
    if automatic_tax && ctx.state.tax_enabled && !located {
        return Err(crate::error::ApiError {
            code: Some(crate::billing::LOCATION_INVALID),
            ..crate::error::ApiError::invalid_request(
                "The customer's location isn't recognized. Update the customer's address to finalize this invoice.",
                Some("customer"),
            )
        });
    }
    let base_url = ctx.base_url.to_owned();
    crate::billing::recompute_draft(ctx.state, id, &base_url);
    crate::billing::finalize_invoice(ctx.state, id);
    require(&ctx.state.invoices, "invoice", id, "invoice").cloned()
}

/// Attempts payment of an open invoice with its subscription's or customer's default card.
pub fn pay(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> ApiResult<Value> {
    let invoice = require(&ctx.state.invoices, "invoice", id, "invoice")?.clone();
    if invoice["status"] != "open" {
        return Err(crate::error::ApiError::invalid_request(
            format!("Invoice {id} is not open: only open invoices can be paid."),
            None,
        ));
    }
    let sub = invoice["parent"]["subscription_details"]["subscription"]
        .as_str()
        .and_then(|s| ctx.state.subscriptions.get(s))
        .cloned()
        .unwrap_or(Value::Null);
    let method = p
        .str("payment_method")
        .map(str::to_owned)
        .or_else(|| sub["default_payment_method"].as_str().map(str::to_owned))
        .or_else(|| {
            invoice["customer"]
                .as_str()
                .and_then(|c| ctx.state.customers.get(c))
                .and_then(|c| c["invoice_settings"]["default_payment_method"].as_str())
                .map(str::to_owned)
        });
    if !crate::billing::pay_invoice(ctx.state, id, method.as_deref(), true) {
        return Err(crate::error::ApiError::card_declined(
            "generic_decline",
            crate::resources::payments::DECLINE_MESSAGE,
        ));
    }
    require(&ctx.state.invoices, "invoice", id, "invoice").cloned()
}
