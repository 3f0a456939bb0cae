//! `expand[]`: replaces id strings by the objects they name, following dotted paths
//! (`data.customer`, `latest_invoice.payments`). Fields Stripe only includes on request
//! (a session's `line_items`, a customer's `tax`) are filled in by their owners before this runs.

use serde_json::Value;

use crate::state::State;

pub fn apply(state: &State, object: &mut Value, paths: &[String]) {
    for path in paths {
        let segments: Vec<&str> = path.split('.').collect();
        expand_path(state, object, &segments);
    }
}

fn expand_path(state: &State, value: &mut Value, segments: &[&str]) {
    let Some((first, rest)) = segments.split_first() else {
        return;
    };
    if *first == "data" {
        if let Some(items) = value.get_mut("data").and_then(Value::as_array_mut) {
            for item in items {
                expand_path(state, item, rest);
            }
            return;
        }
    }
    let Some(field) = value.get_mut(*first) else {
        return;
    };
    // A list of ids (a subscription's `discounts`) expands element by element.
    let targets: Vec<&mut Value> = match field {
        Value::Array(items) => items.iter_mut().collect(),
        single => vec![single],
    };
    for target in targets {
        if let Some(id) = target.as_str() {
            if let Some(found) = lookup(state, first, id) {
                *target = found.clone();
            }
        }
        if !rest.is_empty() {
            expand_path(state, target, rest);
        }
    }
}

/// Coupons have ids of the merchant's choosing, without a prefix to route them by.
fn lookup<'a>(state: &'a State, field: &str, id: &str) -> Option<&'a Value> {
    if field == "coupon" {
        return state.coupons.get(id);
    }
    state.lookup(id)
}
