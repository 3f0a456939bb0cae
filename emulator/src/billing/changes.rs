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
    pub on_failure: IfIncomplete,
}

/// What a failed immediate charge does to a change (`payment_behavior`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfIncomplete {
    /// `allow_incomplete` (the default): the change stays and the subscription goes past_due.
    Allow,
    /// `error_if_incomplete`: the change is undone and the call answers 402.
    Error,
    /// `pending_if_incomplete`: the change is kept aside in `pending_update`, the subscription
    /// stays as it was. The emulator voids the invoice at once where Stripe lets it expire
    /// after 23 hours; either way the change is never applied unpaid.
    Pending,
}

impl IfIncomplete {
    pub fn parse(raw: Option<&str>) -> Self {
        match raw {
            Some("error_if_incomplete") => Self::Error,
            Some("pending_if_incomplete") => Self::Pending,
            _ => Self::Allow,
        }
    }
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

/// What a change would do, worked out without touching anything: the preview and the change
/// itself share it, so a preview always shows what the change then charges.
pub(super) struct PlannedChange {
    pub index: usize,
    pub quantity: i64,
    pub interval_changed: bool,
    /// The credit for unused time and the charge for the remaining time (empty with `none`).
    pub prorations: Vec<LineSpec>,
    /// The item's period after the change: a new interval starts now.
    pub period: (i64, i64),
}

pub(super) fn plan_change(
    state: &State,
    before: &Value,
    change: &ItemChange<'_>,
    now: i64,
) -> ApiResult<PlannedChange> {
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
    let (start, end) = current_period(before);
    let interval_changed = new_price["recurring"]["interval"] != old_price["recurring"]["interval"]
        || new_price["recurring"]["interval_count"] != old_price["recurring"]["interval_count"];

    let mut prorations = Vec::new();
    if change.proration != Proration::None && end > now {
        let unused = -prorate(
            old_price["unit_amount"].as_i64().unwrap_or(0) * old_quantity,
            end - now,
            end - start,
        );
        prorations.push(proration_line(
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
            prorations.push(proration_line(
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
    // The item keeps its tax rates through a price change, so every line is taxed like it.
    let rates = item_tax_rates(before, old_item);
    for line in &mut prorations {
        line.tax_rates = rates.clone();
    }
    let period = if interval_changed {
        let interval = new_price["recurring"]["interval"]
            .as_str()
            .unwrap_or("month");
        let count = new_price["recurring"]["interval_count"]
            .as_i64()
            .unwrap_or(1);
        (now, period_boundary(now, interval, count, 1))
    } else {
        (start, end)
    };
    Ok(PlannedChange {
        index,
        quantity,
        interval_changed,
        prorations,
        period,
    })
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
    let PlannedChange {
        index,
        quantity,
        interval_changed,
        prorations: mut lines,
        period: (new_start, new_end),
    } = plan_change(state, &before, change, now)?;
    let old_item = before["items"]["data"][index].clone();
    let new_price = &change.new_price;

    let mut sub = before.clone();
    sub["pending_update"] = Value::Null;
    if interval_changed {
        sub["billing_cycle_anchor"] = json!(now);
    }
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
            let mut line =
                LineSpec::for_price(state, new_price, quantity, item_id, (new_start, new_end));
            line.tax_rates = item_tax_rates(&before, &old_item);
            lines.push(line);
        }
        let (invoice_id, paid) = invoice_lines_now(
            state,
            sub_id,
            &customer,
            lines,
            (new_start, new_end),
            base_url,
        );
        if !paid && change.on_failure == IfIncomplete::Error {
            void_invoice(state, &invoice_id);
            state.subscriptions.insert(before);
            return Err(ApiError::card_declined(
                "generic_decline",
                crate::resources::payments::DECLINE_MESSAGE,
            ));
        }
        if !paid && change.on_failure == IfIncomplete::Pending {
            void_invoice(state, &invoice_id);
            let mut kept = before.clone();
            kept["latest_invoice"] = json!(invoice_id);
            kept["pending_update"] = json!({
                "billing_cycle_anchor": if interval_changed { json!(now) } else { Value::Null },
                "expires_at": now + 23 * 3600,
                "subscription_items": [{
                    "id": old_item["id"],
                    "price": new_price["id"],
                    "quantity": quantity,
                }],
                "trial_end": null,
                "trial_from_plan": null,
            });
            state.subscriptions.insert(kept.clone());
            emit_updated(state, "customer.subscription.updated", &before, &kept);
            return Ok(kept);
        }
        if !paid && sub["status"] == "active" {
            if let Some(stored) = state.subscriptions.get_mut(sub_id) {
                stored["status"] = json!("past_due");
            }
        }
    } else if !lines.is_empty() {
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
