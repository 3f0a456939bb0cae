//! Reading `line_items[...]` (by price id or inline `price_data`) and rendering Checkout's line items.

use serde_json::{json, Value};

use crate::billing::line_tax::{self, rates_per_line};
use crate::billing::{compute_taxed, Amounts};
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::params::{parse_int, Params};
use crate::resources::tax_rates::resolve_list;
use crate::resources::Ctx;
use crate::state::{require, State};

/// The session's lines, and each line's manual `tax_rate` objects (empty when it names none).
#[derive(Default)]
pub(super) struct ReadLines {
    pub lines: Vec<(Value, i64)>,
    pub tax_rates: Vec<Vec<Value>>,
}

pub(super) fn read_line_items(ctx: &mut Ctx<'_>, p: &Params, mode: &str) -> ApiResult<ReadLines> {
    let items = p.get("line_items").map(|l| l.list()).unwrap_or_default();
    if items.is_empty() {
        if mode == "setup" {
            return Ok(ReadLines::default());
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
    let mut tax_rates = Vec::new();
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
        let rates = resolve_list(ctx.state, Some(item), "tax_rates", &param("tax_rates"))?;
        lines.push((price, quantity));
        tax_rates.push(rates);
    }
    if mode == "subscription" && !lines.iter().any(|(p, _)| !p["recurring"].is_null()) {
        return Err(ApiError::invalid_request(
            "You must provide at least one recurring price in `subscription` mode when using prices.",
            Some("line_items"),
        ));
    }
    Ok(ReadLines { lines, tax_rates })
}

/// One Checkout line item; `discount` is its share of the session's discount. Manual rates
/// (`tax_rates`) are listed in the item's `taxes` with the whole rate, as Stripe's are; automatic
/// tax (`automatic_bp`) applies only when the line has none.
pub(super) fn line_item(
    state: &State,
    price: &Value,
    quantity: i64,
    tax_rates: &[Value],
    automatic_bp: Option<i64>,
    discount: i64,
) -> Value {
    let share = json!({ "amount_off": discount });
    let manual = vec![line_tax::from_objects(&json!(tax_rates))];
    let rates = rates_per_line(&[price], &manual, automatic_bp);
    let amounts = compute_taxed(
        &[(price.clone(), quantity)],
        &rates,
        (discount > 0).then_some(&share),
    );
    let description = price["product"]
        .as_str()
        .and_then(|p| state.products.get(p))
        .map(|p| p["name"].clone());
    let mut item = json!({
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
    });
    if !tax_rates.is_empty() {
        let taxes: Vec<Value> = amounts
            .line_taxes
            .first()
            .map(|taxes| {
                taxes
                    .iter()
                    .zip(tax_rates)
                    .map(|(tax, rate)| {
                        json!({
                            "amount": tax.amount,
                            "rate": rate,
                            "taxability_reason": "standard_rated",
                            "taxable_amount": tax.taxable,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        item["taxes"] = json!(taxes);
    }
    item
}

/// A session's totals: each line at its manual rates, or else at the automatic rate.
pub(super) fn session_amounts(
    lines: &[(Value, i64)],
    tax_rates: &[Vec<Value>],
    automatic_bp: Option<i64>,
    coupon: Option<&Value>,
) -> Amounts {
    let prices: Vec<&Value> = lines.iter().map(|(price, _)| price).collect();
    let manual: Vec<_> = tax_rates
        .iter()
        .map(|rates| line_tax::from_objects(&json!(rates)))
        .collect();
    compute_taxed(
        lines,
        &rates_per_line(&prices, &manual, automatic_bp),
        coupon,
    )
}

/// Each of a session's stored line items, read through `read`.
pub(super) fn map_session_items<T>(
    state: &State,
    session_id: &str,
    read: impl Fn(&Value) -> T,
) -> Vec<T> {
    state
        .session_line_items
        .get(session_id)
        .and_then(|l| l["data"].as_array())
        .map(|items| items.iter().map(read).collect())
        .unwrap_or_default()
}

/// The manual rates of each of a session's lines, read back from the items' `taxes`.
pub(super) fn session_tax_rates(state: &State, session_id: &str) -> Vec<Vec<Value>> {
    map_session_items(state, session_id, |item| {
        item["taxes"]
            .as_array()
            .map(|taxes| taxes.iter().map(|t| t["rate"].clone()).collect())
            .unwrap_or_default()
    })
}
