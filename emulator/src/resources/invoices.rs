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
