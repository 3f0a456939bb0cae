//! Time passing: period ends renew or end subscriptions, failed invoices are retried.

use serde_json::{json, Value};

use super::amounts::period_boundary;
use super::invoices::pay_invoice;
use super::subscriptions::{
    cancel_now, current_period, invoice_subscription, set_subscription_status,
};
use crate::events::emit_updated;
use crate::state::State;

/// Bills everything that fell due up to each customer's now. `clock` limits the work to
/// customers on that test clock; `None` means customers on no test clock.
pub fn run_due_renewals(state: &mut State, clock: Option<&str>, base_url: &str) {
    let candidates: Vec<String> = state
        .subscriptions
        .newest_first()
        .filter(|s| {
            matches!(
                s["status"].as_str(),
                Some("active" | "past_due" | "trialing" | "incomplete")
            )
        })
        .filter(|s| {
            let customer_clock = s["customer"]
                .as_str()
                .and_then(|c| state.customers.get(c))
                .and_then(|c| c["test_clock"].as_str());
            customer_clock == clock
        })
        .filter_map(|s| s["id"].as_str().map(str::to_owned))
        .collect();
    for sub_id in candidates {
        // Bounded so a tiny interval and a huge advance cannot spin forever.
        for _ in 0..1000 {
            if !advance_subscription_once(state, &sub_id, base_url) {
                break;
            }
        }
    }
}

/// Handles the earliest thing due for one subscription; false when nothing is due.
fn advance_subscription_once(state: &mut State, sub_id: &str, base_url: &str) -> bool {
    let Some(sub) = state.subscriptions.get(sub_id).cloned() else {
        return false;
    };
    if sub["status"] == "incomplete" {
        expire_if_unpaid(state, sub_id, &sub);
        return false;
    }
    if !matches!(
        sub["status"].as_str(),
        Some("active" | "past_due" | "trialing")
    ) {
        return false;
    }
    let customer = sub["customer"].as_str().map(str::to_owned);
    let now = state.now_for_customer(customer.as_deref());
    let (_, period_end) = current_period(&sub);
    if let Some((invoice_id, at)) =
        open_invoice_retry(state, sub_id).filter(|(_, at)| *at <= now && *at < period_end)
    {
        state.replay_time = Some(at);
        retry_invoice(state, sub_id, &invoice_id);
        state.replay_time = None;
        return true;
    }
    if trial_will_end(state, sub_id, &sub, now) {
        return true;
    }
    if period_end > now {
        return false;
    }
    state.replay_time = Some(period_end);
    let go_on = renew(state, sub_id, &sub, base_url);
    state.replay_time = None;
    go_on
}

/// Ends or renews a subscription whose period is over; false when it ended.
fn renew(state: &mut State, sub_id: &str, sub: &Value, base_url: &str) -> bool {
    if sub["cancel_at_period_end"].as_bool().unwrap_or(false) {
        cancel_now(state, sub_id, "cancellation_requested");
        return false;
    }
    // One `customer.subscription.updated` for the new period and its invoice, as Stripe sends.
    roll_period(state, sub_id);
    let paid = invoice_subscription(state, sub_id, "subscription_cycle", base_url);
    if let Some(after) = state.subscriptions.get(sub_id).cloned() {
        emit_updated(state, "customer.subscription.updated", sub, &after);
    }
    // A renewal held for the customer's address is not a failed payment: Stripe leaves the
    // subscription as it was while the invoice waits in draft.
    let held = super::subscriptions::renewal_held(state, sub_id);
    match (sub["status"].as_str(), paid) {
        (Some("active" | "trialing"), false) if !held => {
            set_subscription_status(state, sub_id, "past_due")
        }
        (Some("trialing"), true) => set_subscription_status(state, sub_id, "active"),
        _ => {}
    }
    true
}

/// Stripe warns three days before a trial ends, once.
fn trial_will_end(state: &mut State, sub_id: &str, sub: &Value, now: i64) -> bool {
    let Some(trial_end) = sub["trial_end"].as_i64() else {
        return false;
    };
    if sub["status"] != "trialing"
        || now < trial_end - 3 * 86_400
        || !state.trial_warnings_sent.insert(sub_id.to_owned())
    {
        return false;
    }
    state.replay_time =
        Some((trial_end - 3 * 86_400).max(sub["trial_start"].as_i64().unwrap_or(0)));
    crate::events::emit(state, "customer.subscription.trial_will_end", sub, None);
    state.replay_time = None;
    true
}

fn open_invoice_retry(state: &State, sub_id: &str) -> Option<(String, i64)> {
    state
        .invoices
        .newest_first()
        .filter(|i| {
            i["status"] == "open"
                && i["parent"]["subscription_details"]["subscription"].as_str() == Some(sub_id)
        })
        .filter_map(|i| {
            Some((
                i["id"].as_str()?.to_owned(),
                i["next_payment_attempt"].as_i64()?,
            ))
        })
        .min_by_key(|(_, at)| *at)
}

fn retry_invoice(state: &mut State, sub_id: &str, invoice_id: &str) {
    let Some(sub) = state.subscriptions.get(sub_id).cloned() else {
        return;
    };
    let customer = sub["customer"].as_str().unwrap_or_default().to_owned();
    let pm = sub["default_payment_method"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| {
            state.customers.get(&customer).and_then(|c| {
                c["invoice_settings"]["default_payment_method"]
                    .as_str()
                    .map(str::to_owned)
            })
        });
    if pay_invoice(state, invoice_id, pm.as_deref(), true) {
        let still_open = state.invoices.newest_first().any(|i| {
            i["status"] == "open"
                && i["parent"]["subscription_details"]["subscription"].as_str() == Some(sub_id)
        });
        if !still_open {
            set_subscription_status(state, sub_id, "active");
        }
    } else if state
        .invoices
        .get(invoice_id)
        .is_some_and(|i| i["next_payment_attempt"].is_null())
    {
        if state.dunning_marks_unpaid {
            // The invoice stays open; the subscription stops renewing until it is paid.
            set_subscription_status(state, sub_id, "unpaid");
        } else {
            cancel_now(state, sub_id, "payment_failed");
        }
    }
}

/// Stripe gives an `incomplete` subscription 23 hours to pay its first invoice; then the invoice
/// is voided and the subscription ends as `incomplete_expired`, a terminal status.
fn expire_if_unpaid(state: &mut State, sub_id: &str, sub: &Value) {
    let customer = sub["customer"].as_str().map(str::to_owned);
    let now = state.now_for_customer(customer.as_deref());
    let deadline = sub["created"].as_i64().unwrap_or(now) + INCOMPLETE_WINDOW;
    if now < deadline {
        return;
    }
    state.replay_time = Some(deadline);
    if let Some(invoice) = sub["latest_invoice"].as_str() {
        if state
            .invoices
            .get(invoice)
            .is_some_and(|i| i["status"] == "open")
        {
            super::changes::void_invoice(state, invoice);
        }
    }
    if let Some(stored) = state.subscriptions.get_mut(sub_id) {
        stored["status"] = json!("incomplete_expired");
        stored["ended_at"] = json!(deadline);
        let ended = stored.clone();
        crate::events::emit(state, "customer.subscription.deleted", &ended, None);
    }
    state.replay_time = None;
}

const INCOMPLETE_WINDOW: i64 = 23 * 3600;

/// Moves every item to the next period; emits `customer.subscription.updated`.
fn roll_period(state: &mut State, sub_id: &str) {
    let Some(sub) = state.subscriptions.get_mut(sub_id) else {
        return;
    };
    let anchor = sub["billing_cycle_anchor"].as_i64().unwrap_or(0);
    if let Some(items) = sub["items"]["data"].as_array_mut() {
        for item in items {
            let interval = item["price"]["recurring"]["interval"]
                .as_str()
                .unwrap_or("month")
                .to_owned();
            let count = item["price"]["recurring"]["interval_count"]
                .as_i64()
                .unwrap_or(1);
            let old_end = item["current_period_end"].as_i64().unwrap_or(anchor);
            let mut n = 1;
            while period_boundary(anchor, &interval, count, n) <= old_end && n < 100_000 {
                n += 1;
            }
            item["current_period_start"] = json!(old_end);
            item["current_period_end"] = json!(period_boundary(anchor, &interval, count, n));
        }
    }
}
