//! Billing portal sessions: a link, valid for one customer, to the emulator's hosted portal page.

use serde_json::{json, Value};

use super::Ctx;
use crate::error::ApiResult;
use crate::ids::new_id;
use crate::params::Params;
use crate::state::require;

/// The emulator has one portal configuration, with every feature on.
pub const CONFIGURATION_ID: &str = "bpc_emulator_default";

pub fn create(ctx: &mut Ctx<'_>, p: &Params) -> ApiResult<Value> {
    let customer = p.required_str("customer")?;
    require(&ctx.state.customers, "customer", customer, "customer")?;
    let id = new_id("bps");
    let session = json!({
        "id": id,
        "object": "billing_portal.session",
        "configuration": p.str("configuration").unwrap_or(CONFIGURATION_ID),
        "created": ctx.now(),
        "customer": customer,
        "flow": null,
        "livemode": false,
        "locale": p.str("locale"),
        "on_behalf_of": null,
        "return_url": p.str("return_url"),
        "url": format!("{}/p/session/{id}", ctx.base_url),
    });
    ctx.state.portal_sessions.insert(session.clone());
    Ok(session)
}
