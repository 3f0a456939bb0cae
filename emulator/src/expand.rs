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
    if let Some(id) = field.as_str() {
        if let Some(found) = state.lookup(id) {
            *field = found.clone();
        }
    }
    if !rest.is_empty() {
        expand_path(state, field, rest);
    }
}
