//! Stripe's cursor pagination over a newest-first sequence.

use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};
use crate::params::{parse_int, Param, Params};

/// Builds `{"object":"list",...}` from already filtered, newest-first items.
pub fn paginate(items: Vec<Value>, params: &Params, url: &str) -> ApiResult<Value> {
    let limit = params.int("limit")?.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid_request(
            format!("Invalid limit: must be between 1 and 100, got {limit}."),
            Some("limit"),
        ));
    }
    let limit = usize::try_from(limit).unwrap_or(10);
    let position = |id: &str, param: &str| {
        items
            .iter()
            .position(|o| o["id"].as_str() == Some(id))
            .ok_or_else(|| ApiError::no_such("object", id, param))
    };
    let (page, has_more) = if let Some(after) = params.str("starting_after") {
        let rest = &items[position(after, "starting_after")? + 1..];
        (
            rest.iter().take(limit).cloned().collect::<Vec<_>>(),
            rest.len() > limit,
        )
    } else if let Some(before) = params.str("ending_before") {
        let head = &items[..position(before, "ending_before")?];
        let start = head.len().saturating_sub(limit);
        (head[start..].to_vec(), start > 0)
    } else {
        (
            items.iter().take(limit).cloned().collect(),
            items.len() > limit,
        )
    };
    Ok(json!({ "object": "list", "data": page, "has_more": has_more, "url": url }))
}

/// A list embedded in another object (subscription items, invoice lines): everything, no cursor.
pub fn embedded(data: Vec<Value>, url: String) -> Value {
    json!({ "object": "list", "data": data, "has_more": false, "total_count": data.len(), "url": url })
}

/// Stripe's `created` filter: either an exact timestamp or a `gt/gte/lt/lte` hash.
pub fn created_matches(params: &Params, object: &Value) -> ApiResult<bool> {
    let created = object["created"].as_i64().unwrap_or_default();
    match params.get("created") {
        None => Ok(true),
        Some(Param::Str(s)) => Ok(parse_int(Some(s), "created")? == Some(created)),
        Some(range @ Param::Map(_)) => {
            let bound = |op: &str| parse_int(range.str(op), &format!("created[{op}]"));
            Ok(bound("gt")?.is_none_or(|b| created > b)
                && bound("gte")?.is_none_or(|b| created >= b)
                && bound("lt")?.is_none_or(|b| created < b)
                && bound("lte")?.is_none_or(|b| created <= b))
        }
    }
}

/// Filters on a string field when the parameter is present.
pub fn field_matches(params: &Params, key: &str, object: &Value, field: &str) -> bool {
    match params.str(key) {
        Some(want) => object[field].as_str() == Some(want),
        None => true,
    }
}

pub fn bool_matches(params: &Params, key: &str, object: &Value) -> ApiResult<bool> {
    Ok(match params.bool(key)? {
        Some(want) => object[key].as_bool() == Some(want),
        None => true,
    })
}
