//! Reading `line_items[...]` (by price id or inline `price_data`) and rendering Checkout's line items.

use serde_json::{json, Value};

use crate::billing::compute_with_discount;
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::params::{parse_int, Params};
use crate::resources::Ctx;
use crate::state::{require, State};

pub(super) fn read_line_items(
    ctx: &mut Ctx<'_>,
    p: &Params,
    mode: &str,
) -> ApiResult<Vec<(Value, i64)>> {
    let items = p.get("line_items").map(|l| l.list()).unwrap_or_default();
    if items.is_empty() {
        if mode == "setup" {
            return Ok(Vec::new());
        }
        return Err(ApiError::missing_param("line_items"));
    }
    if mode == "setup" {
        return Err(ApiError::invalid_request(
            "You cannot pass `line_items` in `setup` mode.",
            Some("line_items"),
        ));
    }
    let mut lines = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let param = |k: &str| format!("line_items[{i}][{k}]");
        let price = match (item.str("price"), item.get("price_data")) {
            (Some(id), _) => {
                let price = require(&ctx.state.prices, "price", id, &param("price"))?.clone();
                if price["active"] == false {
                    return Err(ApiError::invalid_request(
                        "The price specified is inactive. This field only accepts active prices.",
                        Some(&param("price")),
                    ));
                }
                price
            }
            (None, Some(data)) => {
                let product = match (
                    data.str("product"),
                    data.get("product_data").and_then(|d| d.str("name")),
                ) {
                    (Some(product), _) => {
                        require(
                            &ctx.state.products,
                            "product",
                            product,
                            &param("price_data][product"),
                        )?;
                        product.to_owned()
                    }
                    (None, Some(name)) => crate::resources::products::create_named(ctx, name),
                    (None, None) => {
                        return Err(ApiError::missing_param(&param("price_data][product")))
                    }
                };
                crate::resources::prices::create_for_product(
                    ctx,
                    &product,
                    data,
                    &format!("line_items[{i}][price_data]"),
                )?
            }
            (None, None) => return Err(ApiError::missing_param(&param("price"))),
        };
        let quantity = parse_int(item.str("quantity"), &param("quantity"))?
            .ok_or_else(|| ApiError::missing_param(&param("quantity")))?;
        if quantity < 1 {
            return Err(ApiError::invalid_request(
                "Quantity must be at least 1.",
                Some(&param("quantity")),
            ));
        }
        let recurring = !price["recurring"].is_null();
        if mode == "payment" && recurring {
            return Err(ApiError::invalid_request(
                "You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.",
                Some(&param("price")),
            ));
        }
        if let Some((first, _)) = lines.first() {
            let first: &Value = first;
            if first["currency"] != price["currency"] {
                return Err(ApiError::invalid_request(
                    "All prices must use the same currency.",
                    Some(&param("price")),
                ));
            }
            if recurring && first["recurring"]["interval"] != price["recurring"]["interval"] {
                return Err(ApiError::invalid_request(
                    "All recurring prices must have the same billing interval.",
                    Some(&param("price")),
                ));
            }
        }
        lines.push((price, quantity));
    }
    if mode == "subscription" && !lines.iter().any(|(p, _)| !p["recurring"].is_null()) {
        return Err(ApiError::invalid_request(
            "You must provide at least one recurring price in `subscription` mode when using prices.",
            Some("line_items"),
        ));
    }
    Ok(lines)
}

/// One Checkout line item; `discount` is its share of the session's discount.
pub(super) fn line_item(
    state: &State,
    price: &Value,
    quantity: i64,
    rate: Option<i64>,
    discount: i64,
) -> Value {
    let share = json!({ "amount_off": discount });
    let amounts = compute_with_discount(
        &[(price.clone(), quantity)],
        rate,
        (discount > 0).then_some(&share),
    );
    let description = price["product"]
        .as_str()
        .and_then(|p| state.products.get(p))
        .map(|p| p["name"].clone());
    json!({
        "id": new_id("li"),
        "object": "item",
        "amount_discount": amounts.discount,
        "amount_subtotal": amounts.subtotal,
        "amount_tax": amounts.tax,
        "amount_total": amounts.total,
        "currency": price["currency"],
        "description": description,
        "price": price,
        "quantity": quantity,
    })
}
