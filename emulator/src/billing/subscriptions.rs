//! Subscription objects and their state changes.

use serde_json::{json, Value};

use super::amounts::{period_boundary, tax_rate_for_customer};
use super::invoices::{
    amounts_for, create_invoice, finalize_invoice, pay_invoice, InvoiceSpec, LineSpec,
};
use super::line_tax::{self, LineRate};
use crate::events::{emit, emit_updated};
use crate::ids::new_id;
use crate::list::embedded;
use crate::state::State;

pub(super) fn plan_from_price(price: &Value) -> Value {
    json!({
        "id": price["id"],
        "object": "plan",
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": price["billing_scheme"],
        "created": price["created"],
        "currency": price["currency"],
        "interval": price["recurring"]["interval"],
        "interval_count": price["recurring"]["interval_count"],
        "livemode": false,
        "metadata": price["metadata"],
        "meter": null,
        "nickname": price["nickname"],
        "product": price["product"],
        "tiers_mode": null,
        "transform_usage": null,
        "trial_period_days": null,
        "usage_type": "licensed",
    })
}

pub struct NewSubscription<'a> {
    pub customer: &'a str,
    pub lines: Vec<(Value, i64)>,
    pub payment_method: Option<&'a str>,
    pub metadata: Value,
    pub automatic_tax: bool,
    pub trial_days: Option<i64>,
    pub discount: Option<super::discounts::Applied>,
    /// Each line's manual `tax_rate` objects (`line_items[N][tax_rates]`, `items[N][tax_rates]`).
    pub tax_rates: Vec<Vec<Value>>,
    /// `default_tax_rates`: the rates of every item that has none of its own.
    pub default_tax_rates: Vec<Value>,
}

/// A subscription as Checkout creates it: `incomplete` until its first invoice is paid.
pub fn create_subscription(state: &mut State, new: &NewSubscription<'_>) -> Value {
    let now = state.now_for_customer(Some(new.customer));
    let id = new_id("sub");
    let first = new
        .lines
        .first()
        .map(|(p, _)| p.clone())
        .unwrap_or(Value::Null);
    let interval = first["recurring"]["interval"]
        .as_str()
        .unwrap_or("month")
        .to_owned();
    let count = first["recurring"]["interval_count"].as_i64().unwrap_or(1);
    let trial_end = new.trial_days.map(|days| now + days * 86_400);
    let anchor = trial_end.unwrap_or(now);
    let end = trial_end.unwrap_or_else(|| period_boundary(now, &interval, count, 1));
    let items: Vec<Value> = new
        .lines
        .iter()
        .enumerate()
        .map(|(i, (price, quantity))| {
            json!({
                "id": new_id("si"),
                "object": "subscription_item",
                "billing_thresholds": null,
                "created": now,
                "current_period_end": end,
                "current_period_start": now,
                "discounts": [],
                "metadata": {},
                "plan": plan_from_price(price),
                "price": price,
                "quantity": quantity,
                "subscription": id,
                "tax_rates": new.tax_rates.get(i).cloned().unwrap_or_default(),
            })
        })
        .collect();
    let discounts: Vec<Value> = match &new.discount {
        Some(applied) => {
            let owner = super::discounts::Owner {
                customer: Some(new.customer),
                subscription: Some(&id),
                checkout_session: None,
            };
            vec![super::discounts::redeem(state, applied, &owner)["id"].clone()]
        }
        None => Vec::new(),
    };
    let test_clock = state
        .customers
        .get(new.customer)
        .map(|c| c["test_clock"].clone())
        .unwrap_or(Value::Null);
    let sub = json!({
        "id": id,
        "object": "subscription",
        "application": null,
        "application_fee_percent": null,
        "automatic_tax": { "disabled_reason": null, "enabled": new.automatic_tax, "liability": if new.automatic_tax { json!({"type": "self"}) } else { Value::Null } },
        "billing_cycle_anchor": anchor,
        "billing_cycle_anchor_config": null,
        "billing_mode": { "flexible": null, "type": "classic", "updated_at": null },
        "billing_schedules": [],
        "billing_thresholds": null,
        "cancel_at": null,
        "cancel_at_period_end": false,
        "canceled_at": null,
        "cancellation_details": { "comment": null, "feedback": null, "reason": null },
        "collection_method": "charge_automatically",
        "created": now,
        "currency": first["currency"],
        "customer": new.customer,
        "days_until_due": null,
        "default_payment_method": new.payment_method,
        "default_source": null,
        "default_tax_rates": new.default_tax_rates,
        "description": null,
        "discounts": discounts,
        "ended_at": null,
        "invoice_settings": { "account_tax_ids": null, "issuer": { "type": "self" } },
        "items": embedded(items, format!("/v1/subscription_items?subscription={id}")),
        "latest_invoice": null,
        "livemode": false,
        "metadata": new.metadata,
        "next_pending_invoice_item_invoice": null,
        "on_behalf_of": null,
        "pause_collection": null,
        "payment_settings": { "payment_method_options": null, "payment_method_types": null, "save_default_payment_method": "off" },
        "pending_invoice_item_interval": null,
        "pending_setup_intent": null,
        "pending_update": null,
        "schedule": null,
        "start_date": now,
        "status": "incomplete",
        "test_clock": test_clock,
        "transfer_data": null,
        "trial_end": trial_end,
        "trial_settings": { "end_behavior": { "missing_payment_method": "create_invoice" } },
        "trial_start": trial_end.map(|_| now),
    });
    state.subscriptions.insert(sub.clone());
    emit(state, "customer.subscription.created", &sub, None);
    sub
}

/// Current period of a subscription, read from its first item (where Stripe now keeps it).
pub fn current_period(sub: &Value) -> (i64, i64) {
    let item = &sub["items"]["data"][0];
    (
        item["current_period_start"].as_i64().unwrap_or(0),
        item["current_period_end"].as_i64().unwrap_or(0),
    )
}

/// The manual rates an item is taxed at: its own `tax_rates`, else the subscription's
/// `default_tax_rates` (Stripe's precedence). Stored copies are used, so a rate deactivated
/// since keeps applying, as it does on Stripe.
pub(super) fn item_tax_rates(sub: &Value, item: &Value) -> Vec<LineRate> {
    let own = line_tax::from_objects(&item["tax_rates"]);
    if own.is_empty() {
        line_tax::from_objects(&sub["default_tax_rates"])
    } else {
        own
    }
}

pub(super) fn subscription_lines(sub: &Value) -> Vec<(Value, i64, String, Vec<LineRate>)> {
    sub["items"]["data"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| {
                    (
                        i["price"].clone(),
                        i["quantity"].as_i64().unwrap_or(1),
                        i["id"].as_str().unwrap_or_default().to_owned(),
                        item_tax_rates(sub, i),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Creates, finalizes and tries to pay the invoice for a subscription's current period.
/// Returns whether it was paid.
pub fn invoice_subscription(
    state: &mut State,
    sub_id: &str,
    billing_reason: &str,
    base_url: &str,
) -> bool {
    invoice_subscription_with(state, sub_id, billing_reason, base_url, true)
}

/// As [`invoice_subscription`]; with `attempt_payment` false the invoice is left open
/// (`payment_behavior=default_incomplete`).
pub fn invoice_subscription_with(
    state: &mut State,
    sub_id: &str,
    billing_reason: &str,
    base_url: &str,
    attempt_payment: bool,
) -> bool {
    let Some(sub) = state.subscriptions.get(sub_id).cloned() else {
        return false;
    };
    let customer_id = sub["customer"].as_str().unwrap_or_default().to_owned();
    let (start, end) = current_period(&sub);
    let mut lines: Vec<LineSpec> = subscription_lines(&sub)
        .into_iter()
        .map(|(price, quantity, item, rates)| {
            let mut line = LineSpec::for_price(state, &price, quantity, Some(item), (start, end));
            line.tax_rates = rates;
            line
        })
        .collect();
    // The invoice opening a trial bills nothing, as Stripe's does.
    if billing_reason == "subscription_create" && sub["trial_end"].as_i64() == Some(end) {
        for line in &mut lines {
            line.amount = 0;
            line.description = line
                .description
                .take()
                .map(|d| format!("Trial period for {d}"));
        }
    }
    // Prorations from mid-period changes are billed with the next invoice, as Stripe does.
    lines.extend(state.pending_prorations.remove(sub_id).unwrap_or_default());
    let automatic_tax = sub["automatic_tax"]["enabled"].as_bool().unwrap_or(false);
    let rate = tax_rate_for_customer(state, Some(&customer_id), automatic_tax);
    let now = state.now_for_customer(Some(&customer_id));
    let discount = super::discounts::active_for(state, &sub, now);
    let amounts = amounts_for(&lines, rate, discount.as_ref().map(|(_, coupon)| coupon));
    let spec = InvoiceSpec {
        customer: &customer_id,
        subscription: Some(sub_id),
        billing_reason,
        period: (start, end),
        lines,
        amounts,
        automatic_tax,
        metadata: json!({}),
        discount: discount.as_ref().map(|(id, _)| id.clone()),
        default_tax_rates: sub["default_tax_rates"].clone(),
    };
    if billing_reason == "subscription_cycle"
        && automatic_tax
        && state.tax_enabled
        && rate.is_none()
        && !customer_located(state, &customer_id)
    {
        super::invoices::hold_for_location(state, &spec, sub_id, base_url);
        return false;
    }
    let invoice_id = issue_subscription_invoice(state, &spec, sub_id, base_url);
    if let Some((discount_id, coupon)) = &discount {
        super::discounts::spend_if_once(state, sub_id, discount_id, coupon);
    }
    let zero = state
        .invoices
        .get(&invoice_id)
        .is_some_and(|i| i["amount_remaining"] == 0);
    if !attempt_payment && !zero {
        return false;
    }
    let payment_method = sub["default_payment_method"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| {
            state.customers.get(&customer_id).and_then(|c| {
                c["invoice_settings"]["default_payment_method"]
                    .as_str()
                    .map(str::to_owned)
            })
        });
    pay_invoice(state, &invoice_id, payment_method.as_deref(), true)
}

fn customer_located(state: &State, customer: &str) -> bool {
    state
        .customers
        .get(customer)
        .is_some_and(|c| crate::tax::location_supported(&c["address"]))
}

/// Whether the subscription's latest invoice is a draft held for the customer's location.
pub fn renewal_held(state: &State, sub_id: &str) -> bool {
    state
        .subscriptions
        .get(sub_id)
        .and_then(|s| s["latest_invoice"].as_str())
        .and_then(|id| state.invoices.get(id))
        .is_some_and(|i| i["status"] == "draft")
}

/// Creates and finalizes an invoice for `sub_id` and makes it the subscription's latest, as
/// every billing of a subscription (first period, renewal, update) does.
pub(super) fn issue_subscription_invoice(
    state: &mut State,
    spec: &InvoiceSpec<'_>,
    sub_id: &str,
    base_url: &str,
) -> String {
    let invoice_id = create_invoice(state, spec, base_url);
    if let Some(sub) = state.subscriptions.get_mut(sub_id) {
        sub["latest_invoice"] = json!(invoice_id);
    }
    finalize_invoice(state, &invoice_id);
    invoice_id
}

/// Sets a subscription's status and emits `customer.subscription.updated` when it changed.
pub fn set_subscription_status(state: &mut State, sub_id: &str, status: &str) {
    let Some(sub) = state.subscriptions.get_mut(sub_id) else {
        return;
    };
    let before = sub.clone();
    sub["status"] = json!(status);
    let after = sub.clone();
    emit_updated(state, "customer.subscription.updated", &before, &after);
}

/// Ends a subscription now; emits `customer.subscription.deleted`.
pub fn cancel_now(state: &mut State, sub_id: &str, reason: &str) {
    let customer = state
        .subscriptions
        .get(sub_id)
        .and_then(|s| s["customer"].as_str())
        .map(str::to_owned);
    let now = state.now_for_customer(customer.as_deref());
    let Some(sub) = state.subscriptions.get_mut(sub_id) else {
        return;
    };
    if sub["status"] == "canceled" {
        return;
    }
    sub["status"] = json!("canceled");
    sub["ended_at"] = json!(now);
    if sub["canceled_at"].is_null() {
        sub["canceled_at"] = json!(now);
    }
    sub["cancellation_details"]["reason"] = json!(reason);
    let sub = sub.clone();
    emit(state, "customer.subscription.deleted", &sub, None);
}
