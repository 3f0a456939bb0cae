use serde_json::{json, Value};

use super::{merge_metadata, metadata, set_bool, set_nullable_str, Ctx};
use crate::error::ApiResult;
use crate::events::{emit, emit_updated};
use crate::ids::new_id;
use crate::list;
use crate::params::Params;
use crate::state::{require, require_mut};

pub fn create(ctx: &mut Ctx<'_>, p: &Params) -> ApiResult<Value> {
    let name = p.required_str("name")?;
    let now = ctx.now();
    let id = p
        .str("id")
        .map(str::to_owned)
        .unwrap_or_else(|| new_id("prod"));
    let mut product = json!({
        "id": id,
        "object": "product",
        "active": p.bool("active")?.unwrap_or(true),
        "created": now,
        "default_price": null,
        "description": p.str("description"),
        "images": [],
        "livemode": false,
        "marketing_features": [],
        "metadata": metadata(p)?,
        "name": name,
        "package_dimensions": null,
        "shippable": null,
        "statement_descriptor": p.str("statement_descriptor"),
        "tax_code": p.str("tax_code"),
        "type": "service",
        "unit_label": p.str("unit_label"),
        "updated": now,
        "url": p.str("url"),
    });
    let product_id = product["id"].as_str().unwrap_or_default().to_owned();
    ctx.state.products.insert(product.clone());
    emit(ctx.state, "product.created", &product, None);
    if let Some(data) = p.get("default_price_data") {
        let price =
            super::prices::create_for_product(ctx, &product_id, data, "default_price_data")?;
        let price_id = price["id"].clone();
        if let Some(stored) = ctx.state.products.get_mut(&product_id) {
            stored["default_price"] = price_id;
            product = stored.clone();
        }
    }
    Ok(product)
}

/// A product made on the fly from `product_data`, as Stripe does for inline prices.
pub fn create_named(ctx: &mut Ctx<'_>, name: &str) -> String {
    let now = ctx.now();
    let id = new_id("prod");
    let product = json!({
        "id": id, "object": "product", "active": true, "created": now, "default_price": null,
        "description": null, "images": [], "livemode": false, "marketing_features": [], "metadata": {},
        "name": name, "package_dimensions": null, "shippable": null, "statement_descriptor": null,
        "tax_code": null, "type": "service", "unit_label": null, "updated": now, "url": null,
    });
    ctx.state.products.insert(product.clone());
    emit(ctx.state, "product.created", &product, None);
    id
}

pub fn retrieve(ctx: &mut Ctx<'_>, id: &str) -> ApiResult<Value> {
    require(&ctx.state.products, "product", id, "id").cloned()
}

pub fn update(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> ApiResult<Value> {
    let now = ctx.now();
    if let Some(price_id) = p.str("default_price").filter(|s| !s.is_empty()) {
        let price = require(&ctx.state.prices, "price", price_id, "default_price")?;
        if price["product"].as_str() != Some(id) {
            return Err(crate::error::ApiError::invalid_request(
                format!("The price '{price_id}' does not belong to this product."),
                Some("default_price"),
            ));
        }
    }
    let product = require_mut(&mut ctx.state.products, "product", id, "id")?;
    let before = product.clone();
    if let Some(name) = p.str("name") {
        product["name"] = json!(name);
    }
    for key in [
        "description",
        "default_price",
        "statement_descriptor",
        "tax_code",
        "unit_label",
        "url",
    ] {
        set_nullable_str(product, p, key);
    }
    set_bool(product, p, "active")?;
    product["metadata"] = merge_metadata(&product["metadata"], p)?;
    if *product != before {
        product["updated"] = json!(now);
    }
    let after = product.clone();
    emit_updated(ctx.state, "product.updated", &before, &after);
    Ok(after)
}

pub fn list(ctx: &mut Ctx<'_>, p: &Params) -> ApiResult<Value> {
    let ids = p.strings("ids");
    let mut items = Vec::new();
    for product in ctx.state.products.newest_first() {
        if list::bool_matches(p, "active", product)?
            && list::created_matches(p, product)?
            && (ids.is_empty() || ids.iter().any(|i| product["id"].as_str() == Some(i)))
        {
            items.push(product.clone());
        }
    }
    list::paginate(items, p, "/v1/products")
}
