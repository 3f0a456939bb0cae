use serde_json::{json, Value};

use super::{merge_metadata, metadata, set_nullable_str, Ctx};
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::list;
use crate::params::Params;
use crate::state::{require, require_mut};

pub fn create(ctx: &mut Ctx<'_>, p: &Params) -> ApiResult<Value> {
    let url = p.required_str("url")?;
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(ApiError::invalid_request(
            format!("Invalid URL: {url}"),
            Some("url"),
        ));
    }
    let enabled = p.strings("enabled_events");
    if enabled.is_empty() {
        return Err(ApiError::missing_param("enabled_events"));
    }
    let endpoint = json!({
        "id": new_id("we"),
        "object": "webhook_endpoint",
        "api_version": p.str("api_version"),
        "application": null,
        "created": ctx.now(),
        "description": p.str("description"),
        "enabled_events": enabled,
        "livemode": false,
        "metadata": metadata(p)?,
        "secret": new_id("whsec"),
        "status": "enabled",
        "url": url,
    });
    ctx.state.webhook_endpoints.insert(endpoint.clone());
    Ok(endpoint)
}

/// Stripe returns the signing secret only when the endpoint is created.
fn public(endpoint: &Value) -> Value {
    let mut shown = endpoint.clone();
    if let Some(map) = shown.as_object_mut() {
        map.remove("secret");
        map.remove("previous_secrets");
    }
    shown
}

pub fn retrieve(ctx: &mut Ctx<'_>, id: &str) -> ApiResult<Value> {
    require(&ctx.state.webhook_endpoints, "webhook_endpoint", id, "id").map(public)
}

pub fn update(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> ApiResult<Value> {
    let endpoint = require_mut(
        &mut ctx.state.webhook_endpoints,
        "webhook_endpoint",
        id,
        "id",
    )?;
    if let Some(url) = p.str("url") {
        endpoint["url"] = json!(url);
    }
    let enabled = p.strings("enabled_events");
    if !enabled.is_empty() {
        endpoint["enabled_events"] = json!(enabled);
    }
    if let Some(disabled) = p.bool("disabled")? {
        endpoint["status"] = json!(if disabled { "disabled" } else { "enabled" });
    }
    set_nullable_str(endpoint, p, "description");
    endpoint["metadata"] = merge_metadata(&endpoint["metadata"], p)?;
    Ok(public(endpoint))
}

pub fn delete(ctx: &mut Ctx<'_>, id: &str) -> ApiResult<Value> {
    require(&ctx.state.webhook_endpoints, "webhook_endpoint", id, "id")?;
    ctx.state.webhook_endpoints.remove(id);
    Ok(json!({ "id": id, "object": "webhook_endpoint", "deleted": true }))
}

pub fn list(ctx: &mut Ctx<'_>, p: &Params) -> ApiResult<Value> {
    let items = ctx
        .state
        .webhook_endpoints
        .newest_first()
        .map(public)
        .collect();
    list::paginate(items, p, "/v1/webhook_endpoints")
}
