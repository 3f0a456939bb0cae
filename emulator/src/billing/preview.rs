//! `POST /v1/invoices/create_preview` for a subscription: the invoice a change would bring, or
//! the next renewal's, computed with the same arithmetic as the change and stored nowhere.

use serde_json::{json, Value};

use super::amounts::{period_boundary, tax_rate_for_customer};
use super::changes::{plan_change, ItemChange, PlannedChange, Proration};
use super::invoices::{amounts_for, build_invoice, InvoiceSpec, LineSpec};
use super::subscriptions::{current_period, subscription_lines};
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::state::State;

/// A change of interval, or `always_invoice`, is billed at once: the preview is that invoice.
/// Otherwise it is the next renewal's invoice, with the prorations it will carry.
pub fn preview_change(
    state: &mut State,
    sub_id: &str,
    change: Option<&ItemChange<'_>>,
    base_url: &str,
) -> ApiResult<Value> {
    let sub = state
        .subscriptions
        .get(sub_id)
        .cloned()
        .ok_or_else(|| ApiError::no_such("subscription", sub_id, "subscription"))?;
    if sub["status"] == "canceled" {
        return Err(ApiError::invalid_request(
            "A canceled subscription has no upcoming invoice.",
            Some("subscription"),
        ));
    }
    let customer = sub["customer"].as_str().unwrap_or_default().to_owned();
    let now = state.now_for_customer(Some(&customer));
    let pending = state
        .pending_prorations
        .get(sub_id)
        .cloned()
        .unwrap_or_default();
    let mut items = subscription_lines(&sub);
    let (lines, period, reason) = match change {
        Some(change) => {
            let PlannedChange {
                index,
                quantity,
                interval_changed,
                prorations,
                period,
            } = plan_change(state, &sub, change, now)?;
            if let Some(item) = items.get_mut(index) {
                item.0 = change.new_price.clone();
                item.1 = quantity;
            }
            if interval_changed || change.proration == Proration::AlwaysInvoice {
                let mut lines = prorations;
                lines.extend(pending);
                if interval_changed {
                    // Only the changed item starts a new period now.
                    lines.extend(period_lines(
                        state,
                        items.get(index..=index).unwrap_or(&[]),
                        period,
                    ));
                }
                (lines, period, "subscription_update")
            } else {
                let next = next_period(&change.new_price, period.1);
                let mut lines = period_lines(state, &items, next);
                lines.extend(pending);
                lines.extend(prorations);
                (lines, next, "subscription_cycle")
            }
        }
        None => {
            let (_, end) = current_period(&sub);
            let next = next_period(&sub["items"]["data"][0]["price"], end);
            let mut lines = period_lines(state, &items, next);
            lines.extend(pending);
            (lines, next, "subscription_cycle")
        }
    };
    let automatic_tax = sub["automatic_tax"]["enabled"].as_bool().unwrap_or(false);
    let rate = tax_rate_for_customer(state, Some(&customer), automatic_tax);
    let mut amounts = amounts_for(&lines, rate, None);
    let credit = amounts.total.min(0);
    amounts.total = amounts.total.max(0);
    let spec = InvoiceSpec {
        customer: &customer,
        subscription: Some(sub_id),
        billing_reason: reason,
        period,
        lines,
        amounts,
        automatic_tax,
        metadata: json!({}),
        discount: None,
        default_tax_rates: sub["default_tax_rates"].clone(),
    };
    let mut invoice = build_invoice(state, &spec, &new_id("upcoming_in"), base_url);
    invoice["hosted_invoice_url"] = Value::Null;
    invoice["invoice_pdf"] = Value::Null;
    invoice["ending_balance"] = json!(credit);
    invoice["next_payment_attempt"] = json!(if reason == "subscription_cycle" {
        period.0
    } else {
        now
    });
    Ok(invoice)
}

fn next_period(price: &Value, from: i64) -> (i64, i64) {
    let interval = price["recurring"]["interval"].as_str().unwrap_or("month");
    let count = price["recurring"]["interval_count"].as_i64().unwrap_or(1);
    (from, period_boundary(from, interval, count, 1))
}

fn period_lines(
    state: &State,
    items: &[(Value, i64, String, Vec<super::line_tax::LineRate>)],
    period: (i64, i64),
) -> Vec<LineSpec> {
    items
        .iter()
        .map(|(price, quantity, item, rates)| {
            let mut line = LineSpec::for_price(state, price, *quantity, Some(item.clone()), period);
            line.tax_rates = rates.clone();
            line
        })
        .collect()
}
