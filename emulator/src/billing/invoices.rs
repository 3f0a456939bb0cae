//! Invoices: created as drafts, finalized with a number, then paid or failed.

use serde_json::{json, Value};

use super::amounts::{compute_taxed, Amounts, MAX_PAYMENT_ATTEMPTS, RETRY_INTERVAL};
use super::line_tax::{rates_per_line, LineRate, LineTax};
use crate::events::emit;
use crate::ids::new_id;
use crate::list::embedded;
use crate::resources::payments::{charge_card, ChargeRequest};
use crate::state::State;

#[derive(Debug, Clone)]
pub struct LineSpec {
    pub price: Value,
    pub quantity: i64,
    /// Usually `unit_amount * quantity`; a proration carries its prorated (possibly negative) amount.
    pub amount: i64,
    pub subscription_item: Option<String>,
    pub period: (i64, i64),
    pub proration: bool,
    pub description: Option<String>,
    /// Manual tax rates (the item's, or the subscription's defaults); empty means automatic tax.
    pub tax_rates: Vec<LineRate>,
}

impl LineSpec {
    pub fn for_price(
        state: &State,
        price: &Value,
        quantity: i64,
        subscription_item: Option<String>,
        period: (i64, i64),
    ) -> Self {
        let amount = price["unit_amount"]
            .as_i64()
            .unwrap_or(0)
            .saturating_mul(quantity);
        LineSpec {
            price: price.clone(),
            quantity,
            amount,
            subscription_item,
            period,
            proration: false,
            description: Some(describe(state, price, quantity)),
            tax_rates: Vec::new(),
        }
    }
}

/// Stripe's line description: `1 × Pro (at $10.00 / month)`.
pub fn describe(state: &State, price: &Value, quantity: i64) -> String {
    let product = price["product"]
        .as_str()
        .and_then(|p| state.products.get(p))
        .and_then(|p| p["name"].as_str())
        .unwrap_or("Item");
    let amount = crate::money::format_amount(
        price["unit_amount"].as_i64().unwrap_or(0),
        price["currency"].as_str().unwrap_or("usd"),
    );
    match price["recurring"]["interval"].as_str() {
        Some(interval) => format!("{quantity} × {product} (at {amount} / {interval})"),
        None => format!("{quantity} × {product}"),
    }
}

/// Totals of arbitrary lines (prorations included), discounted, then taxed at each line's manual
/// rates, or like the prices they come from under automatic tax.
pub fn amounts_for(lines: &[LineSpec], rate: Option<i64>, coupon: Option<&Value>) -> Amounts {
    let priced: Vec<(Value, i64)> = lines
        .iter()
        .map(|l| {
            (
                json!({ "unit_amount": l.amount, "tax_behavior": l.price["tax_behavior"] }),
                1,
            )
        })
        .collect();
    let prices: Vec<&Value> = lines.iter().map(|l| &l.price).collect();
    let manual: Vec<Vec<LineRate>> = lines.iter().map(|l| l.tax_rates.clone()).collect();
    compute_taxed(&priced, &rates_per_line(&prices, &manual, rate), coupon)
}

pub struct InvoiceSpec<'a> {
    pub customer: &'a str,
    pub subscription: Option<&'a str>,
    pub billing_reason: &'a str,
    pub period: (i64, i64),
    pub lines: Vec<LineSpec>,
    pub amounts: Amounts,
    pub automatic_tax: bool,
    pub metadata: Value,
    /// The `di_` discount the amounts were discounted by.
    pub discount: Option<String>,
    /// The subscription's `default_tax_rates` objects, shown on the invoice as Stripe does.
    pub default_tax_rates: Value,
}

/// A draft invoice with its lines; emits `invoice.created`.
pub fn create_invoice(state: &mut State, spec: &InvoiceSpec<'_>, base_url: &str) -> String {
    let id = new_id("in");
    let invoice = build_invoice(state, spec, &id, base_url);
    state.invoices.insert(invoice.clone());
    emit(state, "invoice.created", &invoice, None);
    id
}

/// The invoice object for `spec`, stored nowhere: what a preview answers.
pub fn build_invoice(state: &mut State, spec: &InvoiceSpec<'_>, id: &str, base_url: &str) -> Value {
    let now = state.now_for_customer(Some(spec.customer));
    let customer = state
        .customers
        .get(spec.customer)
        .cloned()
        .unwrap_or(Value::Null);
    let currency = spec
        .lines
        .first()
        .map(|l| l.price["currency"].clone())
        .unwrap_or(json!("usd"));
    let country = customer["address"]["country"]
        .as_str()
        .unwrap_or("US")
        .to_owned();
    let line_taxes: Vec<Vec<Value>> = spec
        .amounts
        .line_taxes
        .iter()
        .map(|taxes| {
            taxes
                .iter()
                .map(|t| tax_entry(state, &country, t))
                .collect()
        })
        .collect();
    let lines: Vec<Value> = spec
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let off = spec.amounts.line_discounts.get(i).copied().unwrap_or(0);
            let taxes = line_taxes.get(i).cloned().unwrap_or_default();
            invoice_line(id, spec, line, off, taxes, &currency)
        })
        .collect();
    let total_taxes = sum_by_rate(&line_taxes);
    let discount_amounts = |amount: i64| match &spec.discount {
        Some(di) => json!([{ "amount": amount, "discount": di }]),
        None => json!([]),
    };
    let parent = match spec.subscription {
        Some(sub) => json!({
            "quote_details": null,
            "subscription_details": { "metadata": {}, "subscription": sub },
            "type": "subscription_details",
        }),
        None => Value::Null,
    };
    json!({
        "id": id,
        "object": "invoice",
        "account_country": "US",
        "account_name": "Paydesk (Stripe emulator)",
        "account_tax_ids": null,
        "amount_due": spec.amounts.total,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_remaining": spec.amounts.total,
        "amount_shipping": 0,
        "application": null,
        "attempt_count": 0,
        "attempted": false,
        "auto_advance": true,
        "automatic_tax": { "disabled_reason": null, "enabled": spec.automatic_tax, "liability": if spec.automatic_tax { json!({"type": "self"}) } else { Value::Null }, "provider": if spec.automatic_tax { json!("stripe") } else { Value::Null }, "status": if spec.automatic_tax { json!("complete") } else { Value::Null } },
        "automatically_finalizes_at": null,
        "billing_reason": spec.billing_reason,
        "collection_method": "charge_automatically",
        "created": now,
        "currency": currency,
        "custom_fields": null,
        "customer": spec.customer,
        "customer_address": customer["address"],
        "customer_email": customer["email"],
        "customer_name": customer["name"],
        "customer_phone": customer["phone"],
        "customer_shipping": null,
        "customer_tax_exempt": customer["tax_exempt"],
        "customer_tax_ids": [],
        "default_payment_method": null,
        "default_source": null,
        "default_tax_rates": spec.default_tax_rates,
        "description": null,
        "discounts": spec.discount.as_ref().map_or(json!([]), |di| json!([di])),
        "due_date": null,
        "effective_at": null,
        "ending_balance": null,
        "footer": null,
        "from_invoice": null,
        "hosted_invoice_url": format!("{base_url}/invoices/{id}"),
        "invoice_pdf": format!("{base_url}/invoices/{id}?format=pdf"),
        "issuer": { "type": "self" },
        "last_finalization_error": null,
        "latest_revision": null,
        "lines": embedded(lines, format!("/v1/invoices/{id}/lines")),
        "livemode": false,
        "metadata": spec.metadata,
        "next_payment_attempt": null,
        "number": null,
        "on_behalf_of": null,
        "parent": parent,
        "payment_settings": { "default_mandate": null, "payment_method_options": null, "payment_method_types": null },
        "payments": embedded(vec![], format!("/v1/invoice_payments?invoice={id}")),
        "period_end": spec.period.1,
        "period_start": spec.period.0,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": null,
        "rendering": null,
        "shipping_cost": null,
        "shipping_details": null,
        "starting_balance": 0,
        "statement_descriptor": null,
        "status": "draft",
        "status_transitions": { "finalized_at": null, "marked_uncollectible_at": null, "paid_at": null, "voided_at": null },
        "subtotal": spec.amounts.subtotal,
        "subtotal_excluding_tax": spec.amounts.subtotal,
        "test_clock": customer["test_clock"],
        "total": spec.amounts.total,
        "total_discount_amounts": discount_amounts(spec.amounts.discount),
        "total_excluding_tax": spec.amounts.total - spec.amounts.tax,
        "total_pretax_credit_amounts": [],
        "total_taxes": total_taxes,
        "webhooks_delivered_at": now,
    })
}

/// One entry of a line's `taxes`; automatic tax names the rate it made for the customer's country.
fn tax_entry(state: &mut State, country: &str, tax: &LineTax) -> Value {
    let rate = match &tax.rate.id {
        Some(id) => id.clone(),
        None => {
            crate::resources::tax_rates::automatic(state, country, tax.rate.bp, tax.rate.inclusive)
        }
    };
    json!({
        "amount": tax.amount,
        "tax_behavior": if tax.rate.inclusive { "inclusive" } else { "exclusive" },
        "tax_rate_details": { "tax_rate": rate },
        "taxability_reason": "standard_rated",
        "taxable_amount": tax.taxable,
        "type": "tax_rate_details",
    })
}

/// `total_taxes`: the lines' taxes summed per rate, in the order the rates first appear.
fn sum_by_rate(line_taxes: &[Vec<Value>]) -> Value {
    let mut totals: Vec<Value> = Vec::new();
    for entry in line_taxes.iter().flatten() {
        let rate = &entry["tax_rate_details"]["tax_rate"];
        match totals
            .iter_mut()
            .find(|t| &t["tax_rate_details"]["tax_rate"] == rate)
        {
            Some(total) => {
                for key in ["amount", "taxable_amount"] {
                    let sum = total[key].as_i64().unwrap_or(0) + entry[key].as_i64().unwrap_or(0);
                    total[key] = json!(sum);
                }
            }
            None => totals.push(entry.clone()),
        }
    }
    Value::Array(totals)
}

fn invoice_line(
    invoice_id: &str,
    spec: &InvoiceSpec<'_>,
    line: &LineSpec,
    discount: i64,
    taxes: Vec<Value>,
    currency: &Value,
) -> Value {
    let amount = line.amount;
    let parent = match (&line.subscription_item, spec.subscription) {
        (Some(item), Some(sub)) => json!({
            "invoice_item_details": null,
            "subscription_item_details": {
                "invoice_item": null,
                "proration": line.proration,
                "proration_details": { "credited_items": null },
                "subscription": sub,
                "subscription_item": item,
            },
            "type": "subscription_item_details",
        }),
        _ => Value::Null,
    };
    json!({
        "id": new_id("il"),
        "object": "line_item",
        "amount": amount,
        "currency": currency,
        "description": line.description,
        "discount_amounts": match &spec.discount {
            Some(di) => json!([{ "amount": discount, "discount": di }]),
            None => json!([]),
        },
        "discountable": true,
        "discounts": [],
        "invoice": invoice_id,
        "livemode": false,
        "metadata": {},
        "parent": parent,
        "period": { "end": line.period.1, "start": line.period.0 },
        "pretax_credit_amounts": [],
        "pricing": {
            "price_details": { "price": line.price["id"], "product": line.price["product"] },
            "type": "price_details",
            "unit_amount_decimal": line.price["unit_amount_decimal"],
        },
        "quantity": line.quantity,
        "subtotal": amount,
        "taxes": taxes,
    })
}

/// Stripe Tax cannot locate the customer, so the renewal's invoice cannot be finalized: it
/// stays a draft (emitting `invoice.finalization_failed`) until the address is fixed and the
/// invoice finalized through the API.
pub fn hold_for_location(state: &mut State, spec: &InvoiceSpec<'_>, sub_id: &str, base_url: &str) {
    let invoice_id = create_invoice(state, spec, base_url);
    if let Some(sub) = state.subscriptions.get_mut(sub_id) {
        sub["latest_invoice"] = json!(invoice_id);
    }
    let Some(invoice) = state.invoices.get_mut(&invoice_id) else {
        return;
    };
    invoice["automatic_tax"]["status"] = json!("requires_location_inputs");
    invoice["last_finalization_error"] = json!({
        "code": LOCATION_INVALID,
        "message": "The customer's location isn't recognized. Update the customer's address to finalize this invoice.",
        "type": "invalid_request_error",
    });
    let held = invoice.clone();
    emit(state, "invoice.finalization_failed", &held, None);
}

/// The error code of an invoice that waits for a taxable customer location.
pub const LOCATION_INVALID: &str = "customer_tax_location_invalid";

/// Recomputes a draft's amounts (its tax may have changed since it was drafted) and keeps
/// everything else, ready to be finalized.
pub fn recompute_draft(state: &mut State, invoice_id: &str, base_url: &str) {
    let Some(draft) = state.invoices.get(invoice_id).cloned() else {
        return;
    };
    let customer = draft["customer"].as_str().unwrap_or_default().to_owned();
    let subscription = draft["parent"]["subscription_details"]["subscription"]
        .as_str()
        .map(str::to_owned);
    let lines: Vec<LineSpec> = draft["lines"]["data"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .map(|l| {
                    let price_id = l["pricing"]["price_details"]["price"]
                        .as_str()
                        .unwrap_or_default();
                    let item = &l["parent"]["subscription_item_details"];
                    LineSpec {
                        price: state.prices.get(price_id).cloned().unwrap_or(Value::Null),
                        quantity: l["quantity"].as_i64().unwrap_or(1),
                        amount: l["amount"].as_i64().unwrap_or(0),
                        subscription_item: item["subscription_item"].as_str().map(str::to_owned),
                        period: (
                            l["period"]["start"].as_i64().unwrap_or(0),
                            l["period"]["end"].as_i64().unwrap_or(0),
                        ),
                        proration: item["proration"] == true,
                        description: l["description"].as_str().map(str::to_owned),
                        tax_rates: Vec::new(),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let automatic_tax = draft["automatic_tax"]["enabled"] == true;
    let rate = super::amounts::tax_rate_for_customer(state, Some(&customer), automatic_tax);
    let amounts = amounts_for(&lines, rate, None);
    let spec = InvoiceSpec {
        customer: &customer,
        subscription: subscription.as_deref(),
        billing_reason: draft["billing_reason"].as_str().unwrap_or("manual"),
        period: (
            draft["period_start"].as_i64().unwrap_or(0),
            draft["period_end"].as_i64().unwrap_or(0),
        ),
        lines,
        amounts,
        automatic_tax,
        metadata: draft["metadata"].clone(),
        discount: None,
        default_tax_rates: draft["default_tax_rates"].clone(),
    };
    let mut rebuilt = build_invoice(state, &spec, invoice_id, base_url);
    rebuilt["created"] = draft["created"].clone();
    state.invoices.insert(rebuilt);
}

/// Draft -> open, with a number; emits `invoice.finalized`.
pub fn finalize_invoice(state: &mut State, invoice_id: &str) {
    let Some(customer_id) = state
        .invoices
        .get(invoice_id)
        .and_then(|i| i["customer"].as_str())
        .map(str::to_owned)
    else {
        return;
    };
    let now = state.now_for_customer(Some(&customer_id));
    // As on Stripe, the buyer's details are frozen on the invoice when it is finalized.
    let tax_ids: Vec<Value> = crate::resources::tax_ids::customer_list(state, &customer_id)
        .iter()
        .map(|t| json!({ "type": t["type"], "value": t["value"] }))
        .collect();
    let buyer = state
        .customers
        .get(&customer_id)
        .map(|c| (c["name"].clone(), c["email"].clone(), c["address"].clone()));
    let number = match state.customers.get_mut(&customer_id) {
        Some(c) => {
            let seq = c["next_invoice_sequence"].as_i64().unwrap_or(1);
            c["next_invoice_sequence"] = json!(seq + 1);
            format!(
                "{}-{:04}",
                c["invoice_prefix"].as_str().unwrap_or("EMU"),
                seq
            )
        }
        None => format!("EMU-{}", crate::ids::random_tail(4)),
    };
    let Some(invoice) = state.invoices.get_mut(invoice_id) else {
        return;
    };
    invoice["status"] = json!("open");
    invoice["number"] = json!(number);
    invoice["customer_tax_ids"] = Value::Array(tax_ids);
    if let Some((name, email, address)) = buyer {
        invoice["customer_name"] = name;
        invoice["customer_email"] = email;
        invoice["customer_address"] = address;
    }
    invoice["effective_at"] = json!(now);
    invoice["status_transitions"]["finalized_at"] = json!(now);
    let invoice = invoice.clone();
    emit(state, "invoice.finalized", &invoice, None);
}

/// Charges an open invoice; emits `invoice.paid` + `invoice.payment_succeeded` or
/// `invoice.payment_failed`. A zero total is paid without a charge.
pub fn pay_invoice(
    state: &mut State,
    invoice_id: &str,
    payment_method: Option<&str>,
    authenticated: bool,
) -> bool {
    let Some(invoice) = state.invoices.get(invoice_id).cloned() else {
        return false;
    };
    let customer = invoice["customer"].as_str().map(str::to_owned);
    let now = state.now_for_customer(customer.as_deref());
    let total = invoice["amount_remaining"].as_i64().unwrap_or(0);
    let pi = match (total > 0, payment_method) {
        (false, _) => None,
        (true, Some(pm)) => Some(charge_card(
            state,
            &ChargeRequest {
                customer: customer.as_deref(),
                payment_method: pm,
                amount: total,
                currency: invoice["currency"].as_str().unwrap_or("usd"),
                description: Some("Subscription update"),
                metadata: json!({}),
                authenticated,
                off_session: !state.buyer_present,
            },
        )),
        (true, None) => {
            mark_payment_failed(state, invoice_id, now, None);
            return false;
        }
    };
    let paid = pi.as_ref().is_none_or(|pi| pi["status"] == "succeeded");
    if !paid {
        let needs_action = pi
            .as_ref()
            .is_some_and(|pi| pi["status"] == "requires_action");
        mark_payment_failed(state, invoice_id, now, pi.as_ref());
        if needs_action {
            if let Some(invoice) = state.invoices.get(invoice_id).cloned() {
                emit(state, "invoice.payment_action_required", &invoice, None);
            }
        }
        return false;
    }
    let Some(stored) = state.invoices.get_mut(invoice_id) else {
        return false;
    };
    stored["status"] = json!("paid");
    stored["amount_paid"] = json!(total);
    stored["amount_remaining"] = json!(0);
    stored["attempted"] = json!(true);
    stored["attempt_count"] =
        json!(stored["attempt_count"].as_i64().unwrap_or(0) + i64::from(pi.is_some()));
    stored["next_payment_attempt"] = Value::Null;
    stored["status_transitions"]["paid_at"] = json!(now);
    stored["ending_balance"] = json!(0);
    if let Some(pi) = &pi {
        push_payment(stored, pi, "paid", now);
    }
    let paid_invoice = stored.clone();
    emit(state, "invoice.paid", &paid_invoice, None);
    emit(state, "invoice.payment_succeeded", &paid_invoice, None);
    true
}

fn push_payment(invoice: &mut Value, pi: &Value, status: &str, now: i64) {
    let payment = json!({
        "id": new_id("inpay"),
        "object": "invoice_payment",
        "amount_paid": if status == "paid" { pi["amount"].clone() } else { Value::Null },
        "amount_requested": pi["amount"],
        "created": now,
        "currency": pi["currency"],
        "invoice": invoice["id"],
        "is_default": true,
        "livemode": false,
        "payment": { "payment_intent": pi["id"], "type": "payment_intent" },
        "status": status,
        "status_transitions": { "canceled_at": null, "paid_at": if status == "paid" { json!(now) } else { Value::Null } },
    });
    if let Some(data) = invoice["payments"]["data"].as_array_mut() {
        data.insert(0, payment);
        let count = data.len();
        invoice["payments"]["total_count"] = json!(count);
    }
}

fn mark_payment_failed(state: &mut State, invoice_id: &str, now: i64, pi: Option<&Value>) {
    let Some(stored) = state.invoices.get_mut(invoice_id) else {
        return;
    };
    let attempts = stored["attempt_count"].as_i64().unwrap_or(0) + 1;
    stored["attempted"] = json!(true);
    stored["attempt_count"] = json!(attempts);
    stored["next_payment_attempt"] = if attempts < MAX_PAYMENT_ATTEMPTS {
        json!(now + RETRY_INTERVAL)
    } else {
        Value::Null
    };
    if let Some(pi) = pi {
        push_payment(stored, pi, "open", now);
    }
    let failed = stored.clone();
    emit(state, "invoice.payment_failed", &failed, None);
}
