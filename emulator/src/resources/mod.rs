//! One module per Stripe resource. Handlers are synchronous functions over the locked state:
//! each request is one atomic state change, as it is for a Stripe object.

pub mod account;
pub mod billing_portal;
pub mod charges;
pub mod checkout;
pub mod coupons;
pub mod customers;
pub mod invoices;
pub mod payment_methods;
pub mod payments;
pub mod prices;
pub mod products;
pub mod promotion_codes;
pub mod subscriptions;
pub mod tax_ids;
pub mod tax_rates;
pub mod test_clocks;
pub mod webhook_endpoints;

use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};
use crate::params::{Param, Params};
use crate::state::State;

pub struct Ctx<'a> {
    pub state: &'a mut State,
    /// Where the emulator is reachable, for the links it hands out.
    pub base_url: &'a str,
}

impl Ctx<'_> {
    pub fn now(&self) -> i64 {
        self.state.now()
    }

    /// Fills the fields Stripe only returns on request, then follows id expansions.
    pub fn expand(&self, object: &mut Value, paths: &[String]) {
        if paths.is_empty() {
            return;
        }
        let wants = |field: &str| paths.iter().any(|p| p == field);
        match object["object"].as_str() {
            Some("checkout.session") if wants("line_items") => {
                let id = object["id"].as_str().unwrap_or_default();
                object["line_items"] = self
                    .state
                    .session_line_items
                    .get(id)
                    .cloned()
                    .unwrap_or(Value::Null);
            }
            Some("customer") => {
                if wants("tax") {
                    object["tax"] = crate::tax::customer_tax(&object["address"]);
                }
                if wants("tax_ids") {
                    let id = object["id"].as_str().unwrap_or_default().to_owned();
                    let url = format!("/v1/customers/{id}/tax_ids");
                    object["tax_ids"] =
                        crate::list::embedded(tax_ids::customer_list(self.state, &id), url);
                }
            }
            _ => {}
        }
        let ids: Vec<String> = paths
            .iter()
            .filter(|p| !["line_items", "tax", "tax_ids"].contains(&p.as_str()))
            .cloned()
            .collect();
        crate::expand::apply(self.state, object, &ids);
    }
}

/// Applies Stripe's metadata rules: `metadata[k]=v` sets, `metadata[k]=` removes,
/// `metadata=` clears everything.
pub fn merge_metadata(current: &Value, params: &Params) -> ApiResult<Value> {
    let mut map = current.as_object().cloned().unwrap_or_default();
    match params.get("metadata") {
        None => {}
        Some(Param::Str(s)) if s.is_empty() => map.clear(),
        Some(Param::Str(_)) => {
            return Err(ApiError::invalid_request(
                "Invalid metadata: must be a hash.",
                Some("metadata"),
            ));
        }
        Some(Param::Map(entries)) => {
            for (key, value) in entries {
                match value.as_str() {
                    Some("") => {
                        map.remove(key);
                    }
                    Some(v) => {
                        map.insert(key.clone(), json!(v));
                    }
                    None => {
                        return Err(ApiError::invalid_request(
                            "Invalid metadata: values must be strings.",
                            Some(&format!("metadata[{key}]")),
                        ));
                    }
                }
            }
        }
    }
    if map.len() > 50 {
        return Err(ApiError::invalid_request(
            "Invalid metadata: at most 50 keys.",
            Some("metadata"),
        ));
    }
    Ok(Value::Object(map))
}

pub fn metadata(params: &Params) -> ApiResult<Value> {
    merge_metadata(&json!({}), params)
}

/// Stripe's address hash, every field present and `null` when not given.
pub fn address(param: Option<&Param>) -> Value {
    let field = |k: &str| match param.and_then(|p| p.str(k)) {
        Some(v) if !v.is_empty() => json!(v),
        _ => Value::Null,
    };
    json!({
        "city": field("city"),
        "country": field("country"),
        "line1": field("line1"),
        "line2": field("line2"),
        "postal_code": field("postal_code"),
        "state": field("state"),
    })
}

/// Sets `key` on `object` from a string parameter when it is present (an empty value clears it).
pub fn set_nullable_str(object: &mut Value, params: &Params, key: &str) {
    if let Some(v) = params.str(key) {
        object[key] = if v.is_empty() { Value::Null } else { json!(v) };
    }
}

pub fn set_bool(object: &mut Value, params: &Params, key: &str) -> ApiResult<()> {
    if let Some(v) = params.bool(key)? {
        object[key] = json!(v);
    }
    Ok(())
}
