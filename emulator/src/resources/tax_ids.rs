//! Customer tax IDs. Values are checked for shape only; Stripe's test convention applies: a value
//! of all zeros after the country prefix is `unverified`, anything else well-formed is `verified`.

use serde_json::{json, Value};

use super::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::events::emit;
use crate::ids::new_id;
use crate::list;
use crate::params::Params;
use crate::state::{require, State};

const EU: &[&str] = &[
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "EL", "HR", "HU", "IE",
    "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI",
];

/// The country a value of this type belongs to, when the value is well formed.
fn country_of(kind: &str, value: &str) -> Option<String> {
    let compact: String = value
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let body_ok = |body: &str, min: usize| {
        body.len() >= min && body.chars().all(|c| c.is_ascii_alphanumeric())
    };
    match kind {
        "eu_vat" => {
            let prefix = compact.get(..2)?;
            (EU.contains(&prefix) && body_ok(&compact[2..], 8)).then(|| {
                if prefix == "EL" {
                    "GR".to_owned()
                } else {
                    prefix.to_owned()
                }
            })
        }
        "gb_vat" => {
            (compact.starts_with("GB") && body_ok(&compact[2..], 9)).then(|| "GB".to_owned())
        }
        "ch_vat" => (compact.starts_with("CHE") && compact.len() >= 12).then(|| "CH".to_owned()),
        "us_ein" => {
            let digits: String = compact.chars().filter(char::is_ascii_digit).collect();
            (digits.len() == 9).then(|| "US".to_owned())
        }
        "au_abn" => {
            (compact.chars().filter(char::is_ascii_digit).count() == 11).then(|| "AU".to_owned())
        }
        "ca_bn" => {
            (compact.chars().filter(char::is_ascii_digit).count() == 9).then(|| "CA".to_owned())
        }
        _ => None,
    }
}

/// Guesses the type of a value typed into a hosted page, as Checkout's single Tax ID field does.
pub fn infer_type(value: &str) -> Option<&'static str> {
    let upper = value.trim().to_ascii_uppercase();
    ["gb_vat", "ch_vat", "eu_vat", "us_ein", "au_abn", "ca_bn"]
        .into_iter()
        .find(|kind| country_of(kind, &upper).is_some())
}

/// Rejects a malformed value before anything is stored.
pub fn check(kind: &str, value: &str, param: &str) -> ApiResult<()> {
    country_of(kind, value)
        .map(|_| ())
        .ok_or_else(|| ApiError::invalid_request(format!("Invalid value for {kind}."), Some(param)))
}

/// Stores a tax ID for a customer; emits `customer.tax_id.created`.
pub fn add(
    state: &mut State,
    customer: &str,
    kind: &str,
    value: &str,
    param: &str,
) -> ApiResult<Value> {
    let country = country_of(kind, value).ok_or_else(|| {
        ApiError::invalid_request(format!("Invalid value for {kind}."), Some(param))
    })?;
    let unverified = value.chars().filter(char::is_ascii_digit).all(|c| c == '0');
    let tax_id = json!({
        "id": new_id("txi"),
        "object": "tax_id",
        "country": country,
        "created": state.now_for_customer(Some(customer)),
        "customer": customer,
        "livemode": false,
        "owner": { "account": null, "application": null, "customer": customer, "type": "customer" },
        "type": kind,
        "value": value.trim(),
        "verification": { "status": if unverified { "unverified" } else { "verified" }, "verified_address": null, "verified_name": null },
    });
    state.tax_ids.insert(tax_id.clone());
    emit(state, "customer.tax_id.created", &tax_id, None);
    Ok(tax_id)
}

pub fn create(ctx: &mut Ctx<'_>, customer: &str, p: &Params) -> ApiResult<Value> {
    require(&ctx.state.customers, "customer", customer, "customer")?;
    let kind = p.required_str("type")?;
    let value = p.required_str("value")?;
    add(ctx.state, customer, kind, value, "value")
}

pub fn customer_list(state: &State, customer: &str) -> Vec<Value> {
    state
        .tax_ids
        .newest_first()
        .filter(|t| t["customer"].as_str() == Some(customer))
        .cloned()
        .collect()
}

pub fn list(ctx: &mut Ctx<'_>, customer: &str, p: &Params) -> ApiResult<Value> {
    require(&ctx.state.customers, "customer", customer, "customer")?;
    list::paginate(
        customer_list(ctx.state, customer),
        p,
        &format!("/v1/customers/{customer}/tax_ids"),
    )
}

fn own<'a>(state: &'a State, customer: &str, id: &str) -> ApiResult<&'a Value> {
    require(&state.tax_ids, "tax_id", id, "id").and_then(|t| {
        if t["customer"].as_str() == Some(customer) {
            Ok(t)
        } else {
            Err(ApiError::no_such("tax_id", id, "id"))
        }
    })
}

pub fn retrieve(ctx: &mut Ctx<'_>, customer: &str, id: &str) -> ApiResult<Value> {
    own(ctx.state, customer, id).cloned()
}

pub fn delete(ctx: &mut Ctx<'_>, customer: &str, id: &str) -> ApiResult<Value> {
    let tax_id = own(ctx.state, customer, id)?.clone();
    ctx.state.tax_ids.remove(id);
    emit(ctx.state, "customer.tax_id.deleted", &tax_id, None);
    Ok(json!({ "id": id, "object": "tax_id", "deleted": true }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vat_numbers_are_recognised_by_prefix() {
        assert_eq!(infer_type("DE123456789"), Some("eu_vat"));
        assert_eq!(infer_type("GB123456789"), Some("gb_vat"));
        assert_eq!(infer_type("12-3456789"), Some("us_ein"));
        assert_eq!(infer_type("hello"), None);
        assert_eq!(country_of("eu_vat", "EL123456789").as_deref(), Some("GR"));
    }
}
