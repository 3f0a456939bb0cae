//! Mid-period price and quantity changes, prorated by the second as Stripe does.

use serde_json::{json, Value};

use super::amounts::{period_boundary, tax_rate_for_customer};
use super::invoices::{amounts_for, describe, pay_invoice, InvoiceSpec, LineSpec};
use super::subscriptions::item_tax_rates;
use super::subscriptions::{current_period, issue_subscription_invoice, plan_from_price};
use crate::error::{ApiError, ApiResult};
use crate::events::emit_updated;
use crate::state::State;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proration {
    /// Prorations wait for the next renewal invoice (Stripe's default).
    Create,
    None,
    /// Prorations are invoiced and charged now.
    AlwaysInvoice,
}

impl Proration {
    pub fn parse(raw: Option<&str>) -> ApiResult<Self> {
        match raw {
            None | Some("create_prorations") => Ok(Self::Create),
            Some("none") => Ok(Self::None),
            Some("always_invoice") => Ok(Self::AlwaysInvoice),
            Some(other) => Err(ApiError::invalid_request(
                format!("Invalid proration_behavior: must be one of always_invoice, create_prorations, or none (got {other})"),
                Some("proration_behavior"),
            )),
        }
    }
}

pub struct ItemChange<'a> {
    pub item_id: &'a str,
    pub new_price: Value,
    pub quantity: Option<i64>,
    pub proration: Proration,
    /// `error_if_incomplete`: a failed immediate charge undoes the change and is a 402.
    pub error_if_incomplete: bool,
}

/// `amount * part / whole`, rounded half away from zero.
fn prorate(amount: i64, part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        return 0;
    }
    let scaled = i128::from(amount) * i128::from(part);
    let half = i128::from(whole) / 2;
    let rounded = if scaled >= 0 {
        (scaled + half) / i128::from(whole)
    } else {
        (scaled - half) / i128::from(whole)
    };
    i64::try_from(rounded).unwrap_or(0)
}

/// Swaps an item's price or quantity. A change of billing interval restarts the period now and
/// invoices at once; otherwise the unused and remaining time are prorated per `proration`.
pub fn change_item(
    state: &mut State,
    sub_id: &str,
    change: &ItemChange<'_>,
    base_url: &str,
) -> ApiResult<Value> {
    let before = state
        .subscriptions
        .get(sub_id)
        .cloned()
        .ok_or_else(|| ApiError::no_such("subscription", sub_id, "id"))?;
    let customer = before["customer"].as_str().unwrap_or_default().to_owned();
    let now = state.now_for_customer(Some(&customer));
    let items = before["items"]["data"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let Some(index) = items
        .iter()
        .position(|i| i["id"].as_str() == Some(change.item_id))
    else {
        return Err(ApiError::invalid_request(
            format!(
                "The subscription item {} does not belong to this subscription.",
                change.item_id
            ),
            Some("items[0][id]"),
        ));
    };
    let old_item = &items[index];
    let old_price = &old_item["price"];
    let new_price = &change.new_price;
    if new_price["currency"] != old_price["currency"] {
        return Err(ApiError::invalid_request(
            "The price must use the subscription's currency.",
            Some("items[0][price]"),
        ));
    }
    let quantity = change
        .quantity
        .unwrap_or_else(|| old_item["quantity"].as_i64().unwrap_or(1));
    let old_quantity = old_item["quantity"].as_i64().unwrap_or(1);
    let (start, end) = current_period(&before);
    let interval_changed = new_price["recurring"]["interval"] != old_price["recurring"]["interval"]
        || new_price["recurring"]["interval_count"] != old_price["recurring"]["interval_count"];

    let mut lines = Vec::new();
    if change.proration != Proration::None && end > now {
        let unused = -prorate(
            old_price["unit_amount"].as_i64().unwrap_or(0) * old_quantity,
            end - now,
            end - start,
        );
        lines.push(proration_line(
            state,
            old_price,
            old_quantity,
            unused,
            old_item,
            (now, end),
            "Unused time on",
        ));
        if !interval_changed {
            let remaining = prorate(
                new_price["unit_amount"].as_i64().unwrap_or(0) * quantity,
                end - now,
                end - start,
            );
            lines.push(proration_line(
                state,
                new_price,
                quantity,
                remaining,
                old_item,
                (now, end),
                "Remaining time on",
            ));
        }
    }

    let mut sub = before.clone();
    let (new_start, new_end) = if interval_changed {
        let interval = new_price["recurring"]["interval"]
            .as_str()
            .unwrap_or("month");
        let count = new_price["recurring"]["interval_count"]
            .as_i64()
            .unwrap_or(1);
        sub["billing_cycle_anchor"] = json!(now);
        (now, period_boundary(now, interval, count, 1))
    } else {
        (start, end)
    };
    if let Some(item) = sub["items"]["data"].get_mut(index) {
        item["price"] = new_price.clone();
        item["plan"] = plan_from_price(new_price);
        item["quantity"] = json!(quantity);
        item["current_period_start"] = json!(new_start);
        item["current_period_end"] = json!(new_end);
    }
    if sub["cancel_at_period_end"] == true {
        sub["cancel_at"] = json!(new_end);
    }
    state.subscriptions.insert(sub.clone());

    let invoice_now = interval_changed || change.proration == Proration::AlwaysInvoice;
    if invoice_now {
        if interval_changed {
            let item_id = old_item["id"].as_str().map(str::to_owned);
            lines.push(LineSpec::for_price(
                state,
                new_price,
                quantity,
                item_id,
                (new_start, new_end),
            ));
        }
        // The item keeps its tax rates through a price change, so every line is taxed like it.
        let rates = item_tax_rates(&before, old_item);
        for line in &mut lines {
            line.tax_rates = rates.clone();
        }
        let (invoice_id, paid) = invoice_lines_now(
            state,
            sub_id,
            &customer,
            lines,
            (new_start, new_end),
            base_url,
        );
        if !paid && change.error_if_incomplete {
            void_invoice(state, &invoice_id);
            state.subscriptions.insert(before);
            return Err(ApiError::card_declined(
                "generic_decline",
                crate::resources::payments::DECLINE_MESSAGE,
            ));
        }
        if !paid && sub["status"] == "active" {
            if let Some(stored) = state.subscriptions.get_mut(sub_id) {
                stored["status"] = json!("past_due");
            }
        }
    } else if !lines.is_empty() {
        let rates = item_tax_rates(&before, old_item);
        for line in &mut lines {
            line.tax_rates = rates.clone();
        }
        state
            .pending_prorations
            .entry(sub_id.to_owned())
            .or_default()
            .extend(lines);
    }
    let after = state
        .subscriptions
        .get(sub_id)
        .cloned()
        .unwrap_or(Value::Null);
    emit_updated(state, "customer.subscription.updated", &before, &after);
    Ok(after)
}

fn proration_line(
    state: &State,
    price: &Value,
    quantity: i64,
    amount: i64,
    item: &Value,
    period: (i64, i64),
    label: &str,
) -> LineSpec {
    let mut line = LineSpec::for_price(
        state,
        price,
        quantity,
        item["id"].as_str().map(str::to_owned),
        period,
    );
    line.amount = amount;
    line.proration = true;
    line.description = Some(format!("{label} {}", describe(state, price, quantity)));
    line
}

/// The change was refused, so its invoice must never be collected.
pub(super) fn void_invoice(state: &mut State, invoice_id: &str) {
    let customer = state
        .invoices
        .get(invoice_id)
        .and_then(|i| i["customer"].as_str())
        .map(str::to_owned);
    let now = state.now_for_customer(customer.as_deref());
    let Some(invoice) = state.invoices.get_mut(invoice_id) else {
        return;
    };
    invoice["status"] = json!("void");
    invoice["next_payment_attempt"] = Value::Null;
    invoice["status_transitions"]["voided_at"] = json!(now);
    let voided = invoice.clone();
    crate::events::emit(state, "invoice.voided", &voided, None);
}

/// Invoices these lines (plus anything pending) at once; returns the invoice and whether it was paid.
fn invoice_lines_now(
    state: &mut State,
    sub_id: &str,
    customer: &str,
    mut lines: Vec<LineSpec>,
    period: (i64, i64),
    base_url: &str,
) -> (String, bool) {
    lines.extend(state.pending_prorations.remove(sub_id).unwrap_or_default());
    let sub = state
        .subscriptions
        .get(sub_id)
        .cloned()
        .unwrap_or(Value::Null);
    let automatic_tax = sub["automatic_tax"]["enabled"].as_bool().unwrap_or(false);
    let rate = tax_rate_for_customer(state, Some(customer), automatic_tax);
    let mut amounts = amounts_for(&lines, rate, None);
    // A net credit goes to the customer's balance; nothing is charged.
    if amounts.total < 0 {
        if let Some(c) = state.customers.get_mut(customer) {
            c["balance"] = json!(c["balance"].as_i64().unwrap_or(0) + amounts.total);
        }
        amounts.total = 0;
    }
    let spec = InvoiceSpec {
        customer,
        subscription: Some(sub_id),
        billing_reason: "subscription_update",
        period,
        lines,
        amounts,
        automatic_tax,
        metadata: json!({}),
        discount: None,
        default_tax_rates: sub["default_tax_rates"].clone(),
    };
    let invoice_id = issue_subscription_invoice(state, &spec, sub_id, base_url);
    let pm = sub["default_payment_method"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| {
            state.customers.get(customer).and_then(|c| {
                c["invoice_settings"]["default_payment_method"]
                    .as_str()
                    .map(str::to_owned)
            })
        });
    let paid = pay_invoice(state, &invoice_id, pm.as_deref(), true);
    (invoice_id, paid)
}

#[cfg(test)]
mod tests {
    use super::prorate;

    #[test]
    fn prorations_round_half_away_from_zero() {
        assert_eq!(prorate(1000, 15, 30), 500);
        assert_eq!(prorate(1000, 1, 3), 333);
        assert_eq!(prorate(-1000, 1, 3), -333);
        assert_eq!(prorate(1001, 1, 2), 501);
        assert_eq!(prorate(1000, 1, 0), 0);
    }
}
