//! Tax rates: the manual rates an account defines, and the ones the emulator's stand-in for
//! Stripe Tax applies (`txr_emulator_<country>_<bp>`), so every rate an invoice names can be fetched.

use serde_json::{json, Value};

use super::{merge_metadata, metadata, set_bool, set_nullable_str, Ctx};
use crate::error::{ApiError, ApiResult};
use crate::events::{emit, emit_updated};
use crate::ids::new_id;
use crate::list;
use crate::money::{parse_basis_points, percent_json};
use crate::params::Params;
use crate::state::{require, require_mut, State};

const TAX_TYPES: &[&str] = &[
    "amusement_tax",
    "communications_tax",
    "gst",
    "hst",
    "igst",
    "jct",
    "lease_tax",
    "pst",
    "qst",
    "retail_delivery_fee",
    "rst",
    "sales_tax",
    "service_tax",
    "vat",
];

pub fn create(ctx: &mut Ctx<'_>, p: &Params) -> ApiResult<Value> {
    let display_name = p.required_str("display_name")?;
    let raw = p.required_str("percentage")?;
    let bp = parse_basis_points(raw)
        .filter(|bp| *bp <= 10_000)
        .ok_or_else(|| {
            ApiError::invalid_request(
                "Invalid percentage: must be between 0 and 100, with two decimals at most.",
                Some("percentage"),
            )
        })?;
    let inclusive = p
        .bool("inclusive")?
        .ok_or_else(|| ApiError::missing_param("inclusive"))?;
    if let Some(kind) = p.str("tax_type").filter(|k| !TAX_TYPES.contains(k)) {
        return Err(ApiError::invalid_request(
            format!("Invalid tax_type: {kind}"),
            Some("tax_type"),
        ));
    }
    let rate = json!({
        "id": new_id("txr"),
        "object": "tax_rate",
        "active": p.bool("active")?.unwrap_or(true),
        "country": p.str("country").map(str::to_ascii_uppercase),
        "created": ctx.now(),
        "description": p.str("description"),
        "display_name": display_name,
        "effective_percentage": percent_json(bp),
        "flat_amount": null,
        "inclusive": inclusive,
        "jurisdiction": p.str("jurisdiction"),
        "jurisdiction_level": null,
        "livemode": false,
        "metadata": metadata(p)?,
        "percentage": percent_json(bp),
        "rate_type": "percentage",
        "state": p.str("state"),
        "tax_type": p.str("tax_type"),
    });
    ctx.state.tax_rates.insert(rate.clone());
    emit(ctx.state, "tax_rate.created", &rate, None);
    Ok(rate)
}

pub fn retrieve(ctx: &mut Ctx<'_>, id: &str) -> ApiResult<Value> {
    require(&ctx.state.tax_rates, "tax_rate", id, "tax_rate").cloned()
}

pub fn list(ctx: &mut Ctx<'_>, p: &Params) -> ApiResult<Value> {
    let mut items = Vec::new();
    for rate in ctx.state.tax_rates.newest_first() {
        if list::bool_matches(p, "active", rate)?
            && list::bool_matches(p, "inclusive", rate)?
            && list::created_matches(p, rate)?
        {
            items.push(rate.clone());
        }
    }
    list::paginate(items, p, "/v1/tax_rates")
}

/// The percentage and `inclusive` are fixed once created, as on Stripe.
pub fn update(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> ApiResult<Value> {
    let rate = require_mut(&mut ctx.state.tax_rates, "tax_rate", id, "tax_rate")?;
    let before = rate.clone();
    set_bool(rate, p, "active")?;
    for key in ["description", "jurisdiction", "state", "tax_type"] {
        set_nullable_str(rate, p, key);
    }
    if let Some(name) = p.str("display_name").filter(|n| !n.is_empty()) {
        rate["display_name"] = json!(name);
    }
    if let Some(country) = p.str("country") {
        rate["country"] = if country.is_empty() {
            Value::Null
        } else {
            json!(country.to_ascii_uppercase())
        };
    }
    rate["metadata"] = merge_metadata(&rate["metadata"], p)?;
    let after = rate.clone();
    emit_updated(ctx.state, "tax_rate.updated", &before, &after);
    Ok(after)
}

/// The rate the emulator's Stripe Tax charged in `country`, made on first use.
pub fn automatic(state: &mut State, country: &str, bp: i64, inclusive: bool) -> String {
    let country = country.to_ascii_uppercase();
    let suffix = if inclusive { "_inclusive" } else { "" };
    let id = format!("txr_emulator_{}_{bp}{suffix}", country.to_ascii_lowercase());
    if state.tax_rates.get(&id).is_none() {
        let (name, kind) = match country.as_str() {
            "US" => ("Sales tax", "sales_tax"),
            "AU" | "NZ" | "CA" => ("GST", "gst"),
            "JP" => ("JCT", "jct"),
            _ => ("VAT", "vat"),
        };
        let created = state.now();
        state.tax_rates.insert(json!({
            "id": id,
            "object": "tax_rate",
            "active": true,
            "country": country,
            "created": created,
            "description": "Applied by the emulator's automatic tax",
            "display_name": name,
            "effective_percentage": percent_json(bp),
            "flat_amount": null,
            "inclusive": inclusive,
            "jurisdiction": country,
            "jurisdiction_level": "country",
            "livemode": false,
            "metadata": {},
            "percentage": percent_json(bp),
            "rate_type": "percentage",
            "state": null,
            "tax_type": kind,
        }));
    }
    id
}

/// The `tax_rate` objects a list parameter such as `line_items[0][tax_rates][]` names. Each must
/// exist and be active; an unknown id is a 400 `resource_missing` naming the element
/// (`line_items[0][tax_rates][1]`), as Stripe answers ids inside a request body.
pub fn resolve(state: &State, ids: &[String], param: &str) -> ApiResult<Vec<Value>> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| {
            let at = format!("{param}[{i}]");
            let rate = state.tax_rates.get(id).ok_or_else(|| ApiError {
                code: Some("resource_missing"),
                ..ApiError::invalid_request(format!("No such tax rate: '{id}'"), Some(&at))
            })?;
            if rate["active"] == false {
                return Err(ApiError::invalid_request(
                    format!("The tax rate {id} is inactive and cannot be applied."),
                    Some(&at),
                ));
            }
            Ok(rate.clone())
        })
        .collect()
}

/// The manual rates a request names under `key` (`tax_rates` or `default_tax_rates`) of `p`;
/// `param` is how errors name that list.
pub fn resolve_list(
    state: &State,
    p: Option<&crate::params::Param>,
    key: &str,
    param: &str,
) -> ApiResult<Vec<Value>> {
    let ids: Vec<String> = p
        .and_then(|p| p.get(key))
        .map(|l| {
            l.list()
                .iter()
                .filter_map(|id| id.as_str())
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    resolve(state, &ids, param)
}
