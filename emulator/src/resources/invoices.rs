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
