//! Events are recorded in the state and queued in the outbox; the webhook worker sends them after
//! the request that caused them has released the lock.

use serde_json::{json, Value};

use crate::error::ApiResult;
use crate::ids::new_id;
use crate::list;
use crate::params::Params;
use crate::state::{require, State};

/// The API version stamped on events; the one async-stripe 1.0.0-rc.10 is generated for.
pub const API_VERSION: &str = "2026-09-30.endive";

pub fn emit(state: &mut State, event_type: &str, object: &Value, previous: Option<Value>) {
    let mut data = json!({ "object": object });
    if let Some(previous) = previous {
        data["previous_attributes"] = previous;
    }
    let pending = state
        .webhook_endpoints
        .newest_first()
        .filter(|e| crate::webhooks::endpoint_wants(e, event_type))
        .count();
    let customer = object["customer"].as_str().or_else(|| {
        (object["object"] == "customer")
            .then(|| object["id"].as_str())
            .flatten()
    });
    let created = state.now_for_customer(customer);
    let event = json!({
        "id": new_id("evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": created,
        "data": data,
        "livemode": false,
        "pending_webhooks": pending,
        "request": { "id": null, "idempotency_key": null },
        "type": event_type,
    });
    state.events.insert(event.clone());
    state.outbox.push(event);
}

/// Emits `<kind>.updated` with Stripe's `previous_attributes`: the top-level fields that changed.
pub fn emit_updated(state: &mut State, event_type: &str, before: &Value, after: &Value) {
    let mut previous = serde_json::Map::new();
    if let (Some(b), Some(a)) = (before.as_object(), after.as_object()) {
        for (key, old) in b {
            if a.get(key) != Some(old) {
                previous.insert(key.clone(), old.clone());
            }
        }
    }
    if !previous.is_empty() {
        emit(state, event_type, after, Some(Value::Object(previous)));
    }
}

pub fn list(state: &State, params: &Params) -> ApiResult<Value> {
    let types = params.strings("types");
    let mut items = Vec::new();
    for event in state.events.newest_first() {
        let kind = event["type"].as_str().unwrap_or_default();
        let type_ok = params.str("type").is_none_or(|t| type_matches(t, kind))
            && (types.is_empty() || types.iter().any(|t| type_matches(t, kind)));
        if type_ok && list::created_matches(params, event)? {
            items.push(event.clone());
        }
    }
    list::paginate(items, params, "/v1/events")
}

/// Stripe's `type` filter takes an exact type or a `*` wildcard (`customer.*`).
fn type_matches(pattern: &str, kind: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => kind.starts_with(prefix),
        None => pattern == kind,
    }
}

pub fn retrieve(state: &State, id: &str) -> ApiResult<Value> {
    require(&state.events, "event", id, "id").cloned()
}
