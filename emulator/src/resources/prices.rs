use serde_json::{json, Value};

use super::{merge_metadata, set_bool, set_nullable_str, Ctx};
use crate::error::{ApiError, ApiResult};
use crate::events::{emit, emit_updated};
use crate::ids::new_id;
use crate::list;
use crate::params::{parse_int, Param, Params};
use crate::state::{require, require_mut};

pub fn create(ctx: &mut Ctx<'_>, p: &Params) -> ApiResult<Value> {
    let product_id = match (p.str("product"), p.get("product_data")) {
        (Some(id), _) if !id.is_empty() => {
            require(&ctx.state.products, "product", id, "product")?;
            id.to_owned()
        }
        (_, Some(data)) => {
            let name = data
                .str("name")
                .filter(|n| !n.is_empty())
                .ok_or_else(|| ApiError::missing_param("product_data[name]"))?;
            super::products::create_named(ctx, name)
        }
        _ => return Err(ApiError::missing_param("product")),
    };
    let price = build(ctx, &product_id, &Lookup(p), "")?;
    let price = apply_lookup_key(ctx, price, p)?;
    ctx.state.prices.insert(price.clone());
    emit(ctx.state, "price.created", &price, None);
    Ok(price)
}

/// A price from a nested hash (`default_price_data`, `line_items[0][price_data]`), Stripe's inline prices.
pub fn create_for_product(
    ctx: &mut Ctx<'_>,
    product_id: &str,
    data: &Param,
    prefix: &str,
) -> ApiResult<Value> {
    let price = build(ctx, product_id, &Lookup(data), prefix)?;
    ctx.state.prices.insert(price.clone());
    emit(ctx.state, "price.created", &price, None);
    Ok(price)
}

/// Reads top-level params and nested hashes the same way.
struct Lookup<'a, T>(&'a T);

trait Source {
    fn value(&self, key: &str) -> Option<&str>;
    fn nested(&self, key: &str) -> Option<&Param>;
}

impl Source for Lookup<'_, Params> {
    fn value(&self, key: &str) -> Option<&str> {
        self.0.str(key)
    }
    fn nested(&self, key: &str) -> Option<&Param> {
        self.0.get(key)
    }
}

impl Source for Lookup<'_, Param> {
    fn value(&self, key: &str) -> Option<&str> {
        self.0.str(key)
    }
    fn nested(&self, key: &str) -> Option<&Param> {
        self.0.get(key)
    }
}

fn name(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}[{key}]")
    }
}

fn build(ctx: &Ctx<'_>, product_id: &str, src: &dyn Source, prefix: &str) -> ApiResult<Value> {
    let currency = src
        .value("currency")
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::missing_param(&name(prefix, "currency")))?
        .to_ascii_lowercase();
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(ApiError::invalid_request(
            format!("Invalid currency: {currency}. Stripe currently supports these currencies: usd, eur, gbp, jpy, ..."),
            Some(&name(prefix, "currency")),
        ));
    }
    let amount_key = name(prefix, "unit_amount");
    let unit_amount = parse_int(src.value("unit_amount"), &amount_key)?
        .ok_or_else(|| ApiError::missing_param(&amount_key))?;
    if unit_amount < 0 {
        return Err(ApiError::invalid_request(
            "Invalid non-negative integer",
            Some(&amount_key),
        ));
    }
    let recurring = match src.nested("recurring") {
        None => Value::Null,
        Some(r) => {
            let interval = r
                .str("interval")
                .ok_or_else(|| ApiError::missing_param(&name(prefix, "recurring[interval]")))?;
            if !["day", "week", "month", "year"].contains(&interval) {
                return Err(ApiError::invalid_request(
                    format!("Invalid recurring[interval]: must be one of day, week, month, or year (got {interval})"),
                    Some(&name(prefix, "recurring[interval]")),
                ));
            }
            let count_key = name(prefix, "recurring[interval_count]");
            let count = parse_int(r.str("interval_count"), &count_key)?.unwrap_or(1);
            let max = match interval {
                "day" => 1095,
                "week" => 156,
                "month" => 36,
                _ => 3,
            };
            if !(1..=max).contains(&count) {
                return Err(ApiError::invalid_request(
                    "The interval_count must be at least 1 and the interval may be at most three years.",
                    Some(&count_key),
                ));
            }
            json!({
                "interval": interval,
                "interval_count": count,
                "meter": null,
                "trial_period_days": null,
                "usage_type": "licensed",
            })
        }
    };
    let tax_behavior = src.value("tax_behavior").unwrap_or("unspecified");
    if !["inclusive", "exclusive", "unspecified"].contains(&tax_behavior) {
        return Err(ApiError::invalid_request(
            "Invalid tax_behavior",
            Some(&name(prefix, "tax_behavior")),
        ));
    }
    let metadata = match src.nested("metadata") {
        Some(m) => m
            .as_map()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), json!(v))))
                    .collect()
            })
            .unwrap_or_default(),
        None => serde_json::Map::new(),
    };
    Ok(json!({
        "id": new_id("price"),
        "object": "price",
        "active": src.value("active").map(|a| a != "false").unwrap_or(true),
        "billing_scheme": "per_unit",
        "created": ctx.now(),
        "currency": currency,
        "custom_unit_amount": null,
        "livemode": false,
        "lookup_key": null,
        "metadata": metadata,
        "nickname": src.value("nickname"),
        "product": product_id,
        "recurring": recurring,
        "tax_behavior": tax_behavior,
        "tiers_mode": null,
        "transform_quantity": null,
        "type": if recurring.is_null() { "one_time" } else { "recurring" },
        "unit_amount": unit_amount,
        "unit_amount_decimal": unit_amount.to_string(),
    }))
}

/// Lookup keys are unique: taking one that is in use fails unless `transfer_lookup_key=true`.
fn apply_lookup_key(ctx: &mut Ctx<'_>, mut price: Value, p: &Params) -> ApiResult<Value> {
    let Some(key) = p.str("lookup_key") else {
        return Ok(price);
    };
    let transfer = p.bool("transfer_lookup_key")?.unwrap_or(false);
    let id = price["id"].clone();
    let holder = ctx
        .state
        .prices
        .newest_first()
        .find(|other| other["lookup_key"].as_str() == Some(key) && other["id"] != id)
        .and_then(|other| other["id"].as_str().map(str::to_owned));
    if let Some(holder) = holder {
        if !transfer {
            return Err(ApiError::invalid_request(
                format!("A price (`{holder}`) already uses that lookup key."),
                Some("lookup_key"),
            ));
        }
        if let Some(other) = ctx.state.prices.get_mut(&holder) {
            let before = other.clone();
            other["lookup_key"] = Value::Null;
            let after = other.clone();
            emit_updated(ctx.state, "price.updated", &before, &after);
        }
    }
    price["lookup_key"] = if key.is_empty() {
        Value::Null
    } else {
        json!(key)
    };
    Ok(price)
}

pub fn retrieve(ctx: &mut Ctx<'_>, id: &str) -> ApiResult<Value> {
    require(&ctx.state.prices, "price", id, "id").cloned()
}

pub fn update(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> ApiResult<Value> {
    for immutable in ["unit_amount", "currency", "recurring", "product", "type"] {
        if p.get(immutable).is_some() {
            return Err(ApiError::invalid_request(
                format!("Received unknown parameter: {immutable}"),
                Some(immutable),
            ));
        }
    }
    let current = require(&ctx.state.prices, "price", id, "id")?.clone();
    let mut price = apply_lookup_key(ctx, current.clone(), p)?;
    set_bool(&mut price, p, "active")?;
    set_nullable_str(&mut price, p, "nickname");
    if let Some(tb) = p.str("tax_behavior") {
        if price["tax_behavior"] != "unspecified" && price["tax_behavior"] != tb {
            return Err(ApiError::invalid_request(
                "Tax behavior cannot be changed once it has been set.",
                Some("tax_behavior"),
            ));
        }
        price["tax_behavior"] = json!(tb);
    }
    price["metadata"] = merge_metadata(&price["metadata"], p)?;
    *require_mut(&mut ctx.state.prices, "price", id, "id")? = price.clone();
    emit_updated(ctx.state, "price.updated", &current, &price);
    Ok(price)
}

pub fn list(ctx: &mut Ctx<'_>, p: &Params) -> ApiResult<Value> {
    let lookup_keys = p.strings("lookup_keys");
    let interval = p.get("recurring").and_then(|r| r.str("interval"));
    let mut items = Vec::new();
    for price in ctx.state.prices.newest_first() {
        if list::bool_matches(p, "active", price)?
            && list::field_matches(p, "product", price, "product")
            && list::field_matches(p, "currency", price, "currency")
            && list::field_matches(p, "type", price, "type")
            && list::created_matches(p, price)?
            && (lookup_keys.is_empty()
                || lookup_keys
                    .iter()
                    .any(|k| price["lookup_key"].as_str() == Some(k)))
            && interval.is_none_or(|i| price["recurring"]["interval"].as_str() == Some(i))
        {
            items.push(price.clone());
        }
    }
    list::paginate(items, p, "/v1/prices")
}
