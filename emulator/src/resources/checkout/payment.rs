//! Paying a session from the hosted page: what Stripe creates, in the order it creates it.

use serde_json::{json, Value};

use super::expire_if_due;
use crate::billing::{self, line_tax, InvoiceSpec, LineSpec, NewSubscription};
use crate::error::ApiError;
use crate::events::{emit, emit_updated};
use crate::ids::new_id;
use crate::resources::payment_methods::{create_card, Card};
use crate::resources::payments::{
    charge_card, succeeded_setup_intent, ChargeRequest, DECLINE_MESSAGE,
};
use crate::state::{require, require_mut, CardBehavior, State};

/// What the buyer typed on the hosted page.
pub struct PaymentForm {
    pub card_number: String,
    pub exp_month: i64,
    pub exp_year: i64,
    pub name: Option<String>,
    pub email: Option<String>,
    pub address: Value,
    pub tax_id: Option<String>,
}

pub enum Outcome {
    /// Paid; where to send the buyer.
    Completed(Option<String>),
    /// Shown on the page; nothing was created.
    Declined(&'static str),
    /// The card asks for 3-D Secure before anything is charged.
    NeedsAuthentication,
    /// A field the buyer filled in is invalid; nothing was created.
    Invalid(String),
}

/// Pays an open session as Stripe does: customer, payment method, then the mode's objects, then
/// `checkout.session.completed`.
pub fn complete(
    state: &mut State,
    session_id: &str,
    form: &PaymentForm,
    authenticated: bool,
    base_url: &str,
) -> Result<Outcome, ApiError> {
    state.buyer_present = true;
    let outcome = complete_present(state, session_id, form, authenticated, base_url);
    state.buyer_present = false;
    outcome
}

fn complete_present(
    state: &mut State,
    session_id: &str,
    form: &PaymentForm,
    authenticated: bool,
    base_url: &str,
) -> Result<Outcome, ApiError> {
    expire_if_due(state, session_id);
    let session = require(
        &state.checkout_sessions,
        "checkout.session",
        session_id,
        "session",
    )?
    .clone();
    if session["status"] != "open" {
        return Err(ApiError::invalid_request(
            "This Checkout Session is no longer active.",
            None,
        ));
    }
    let last4: String = form
        .card_number
        .chars()
        .filter(char::is_ascii_digit)
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let behavior =
        match CardBehavior::from_number(&form.card_number) {
            Some(b) => b,
            None => return Ok(Outcome::Declined(
                "Your card number is invalid. Use a Stripe test card such as 4242 4242 4242 4242.",
            )),
        };
    match behavior {
        CardBehavior::Declined | CardBehavior::ChargeFails
            if session["mode"] != "setup" || behavior == CardBehavior::Declined =>
        {
            return Ok(Outcome::Declined(DECLINE_MESSAGE))
        }
        CardBehavior::RequiresAuthentication | CardBehavior::AlwaysAuthenticate
            if !authenticated =>
        {
            return Ok(Outcome::NeedsAuthentication)
        }
        _ => {}
    }
    let tax_id = match form
        .tax_id
        .as_deref()
        .filter(|_| session["tax_id_collection"]["enabled"] == true)
    {
        Some(value) => match crate::resources::tax_ids::infer_type(value) {
            Some(kind) => Some((kind, value.trim().to_owned())),
            None => {
                return Ok(Outcome::Invalid(
                    "The tax ID you entered is not valid.".to_owned(),
                ))
            }
        },
        None => None,
    };
    let discount = match super::session_discount(state, &session) {
        Ok(d) => d,
        Err(error) => return Ok(Outcome::Invalid(error.message)),
    };
    let mode = session["mode"].as_str().unwrap_or("payment").to_owned();
    let email = session["customer_email"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| form.email.clone());
    let needs_customer = mode != "payment"
        || !session["customer"].is_null()
        || session["customer_creation"] == "always";
    let customer_id = if needs_customer {
        Some(ensure_customer(state, &session, email.as_deref(), form))
    } else {
        None
    };
    if let (Some(customer), Some((kind, value))) = (&customer_id, &tax_id) {
        crate::resources::tax_ids::add(state, customer, kind, value, "tax_id")?;
    }
    let billing_details = json!({ "address": form.address, "email": email, "name": form.name, "phone": null, "tax_id": null });
    let card = Card {
        behavior,
        last4: &last4,
        exp_month: form.exp_month,
        exp_year: form.exp_year,
        billing_details: billing_details.clone(),
    };
    let pm = create_card(state, &card);
    let pm_id = pm["id"].as_str().unwrap_or_default().to_owned();
    if let Some(customer) = &customer_id {
        if let Some(stored) = state.payment_methods.get_mut(&pm_id) {
            stored["customer"] = json!(customer);
            let attached = stored.clone();
            emit(state, "payment_method.attached", &attached, None);
        }
    }
    let mut updates = json!({});
    match mode.as_str() {
        "subscription" => {
            let Some(customer) = customer_id.as_deref() else {
                return Err(ApiError::internal());
            };
            let lines = session_lines(state, session_id);
            let metadata = state
                .subscription_metadata
                .get(session_id)
                .cloned()
                .unwrap_or_else(|| json!({}));
            let new = NewSubscription {
                customer,
                lines,
                tax_rates: super::session_tax_rates(state, session_id),
                default_tax_rates: Vec::new(),
                payment_method: Some(&pm_id),
                metadata,
                automatic_tax: session["automatic_tax"]["enabled"] == true,
                trial_days: state.subscription_trials.get(session_id).copied(),
                discount: discount.clone(),
            };
            let sub = billing::create_subscription(state, &new);
            let sub_id = sub["id"].as_str().unwrap_or_default().to_owned();
            let paid =
                billing::invoice_subscription(state, &sub_id, "subscription_create", base_url);
            if !paid {
                return Err(ApiError::internal());
            }
            let trialing = state
                .subscriptions
                .get(&sub_id)
                .is_some_and(|s| s["trial_end"].is_i64());
            billing::set_subscription_status(
                state,
                &sub_id,
                if trialing { "trialing" } else { "active" },
            );
            let invoice = state
                .subscriptions
                .get(&sub_id)
                .map(|s| s["latest_invoice"].clone())
                .unwrap_or(Value::Null);
            let billed = invoice
                .as_str()
                .and_then(|i| state.invoices.get(i))
                .cloned()
                .unwrap_or(Value::Null);
            let tax = billed["total"].as_i64().unwrap_or(0)
                - billed["total_excluding_tax"].as_i64().unwrap_or(0);
            let discounted: i64 = billed["total_discount_amounts"]
                .as_array()
                .map(|all| all.iter().filter_map(|d| d["amount"].as_i64()).sum())
                .unwrap_or(0);
            updates = json!({
                "subscription": sub_id,
                "invoice": invoice,
                "amount_subtotal": billed["subtotal"],
                "amount_total": billed["total"],
                "total_details": { "amount_discount": discounted, "amount_shipping": 0, "amount_tax": tax },
            });
        }
        "payment" => {
            let lines = session_lines(state, session_id);
            let rate = billing::tax_rate_for_customer(
                state,
                customer_id.as_deref(),
                session["automatic_tax"]["enabled"] == true,
            )
            .or_else(|| {
                if session["automatic_tax"]["enabled"] == true && state.tax_enabled {
                    crate::tax::rate_for(&form.address)
                } else {
                    None
                }
            });
            let tax_rates = super::session_tax_rates(state, session_id);
            let amounts = super::session_amounts(
                &lines,
                &tax_rates,
                rate,
                discount.as_ref().map(|d| &d.coupon),
            );
            let discount_id = discount.as_ref().map(|applied| {
                let owner = billing::discounts::Owner {
                    customer: customer_id.as_deref(),
                    subscription: None,
                    checkout_session: Some(session_id),
                };
                billing::discounts::redeem(state, applied, &owner)["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            });
            let pi = charge_card(
                state,
                &ChargeRequest {
                    customer: customer_id.as_deref(),
                    payment_method: &pm_id,
                    amount: amounts.total,
                    currency: session["currency"].as_str().unwrap_or("usd"),
                    description: None,
                    metadata: json!({}),
                    authenticated: true,
                    off_session: false,
                },
            );
            updates = json!({ "payment_intent": pi["id"], "amount_total": amounts.total, "amount_subtotal": amounts.subtotal, "total_details": { "amount_discount": amounts.discount, "amount_shipping": 0, "amount_tax": amounts.tax } });
            if session["invoice_creation"]["enabled"] == true {
                if let Some(customer) = customer_id.as_deref() {
                    let now = state.now_for_customer(Some(customer));
                    let spec = InvoiceSpec {
                        customer,
                        subscription: None,
                        billing_reason: "manual",
                        period: (now, now),
                        lines: lines
                            .iter()
                            .zip(&tax_rates)
                            .map(|((price, quantity), rates)| {
                                let mut line =
                                    LineSpec::for_price(state, price, *quantity, None, (now, now));
                                line.tax_rates = line_tax::from_objects(&json!(rates));
                                line
                            })
                            .collect(),
                        amounts,
                        automatic_tax: session["automatic_tax"]["enabled"] == true,
                        metadata: json!({}),
                        discount: discount_id,
                        default_tax_rates: json!([]),
                    };
                    let invoice_id = billing::create_invoice(state, &spec, base_url);
                    billing::finalize_invoice(state, &invoice_id);
                    mark_invoice_paid_out_of_band(state, &invoice_id, &pi);
                    updates["invoice"] = json!(invoice_id);
                }
            }
        }
        _ => {
            let seti = succeeded_setup_intent(state, customer_id.as_deref(), &pm_id);
            updates = json!({ "setup_intent": seti["id"] });
        }
    }
    let customer_details = json!({
        "address": form.address,
        "business_name": null,
        "email": email,
        "individual_name": null,
        "name": form.name,
        "phone": null,
        "tax_exempt": "none",
        "tax_ids": tax_id.as_ref().map(|(kind, value)| json!([{ "type": kind, "value": value }])).unwrap_or(json!([])),
    });
    let session = require_mut(
        &mut state.checkout_sessions,
        "checkout.session",
        session_id,
        "session",
    )?;
    session["status"] = json!("complete");
    session["payment_status"] = json!(if mode == "setup" {
        "no_payment_required"
    } else {
        "paid"
    });
    session["customer"] = json!(customer_id);
    session["customer_details"] = customer_details;
    if let Some(map) = updates.as_object() {
        for (k, v) in map {
            session[k.as_str()] = v.clone();
        }
    }
    if session["automatic_tax"]["enabled"] == true {
        // The billing address entered on the page gave the tax, so nothing is missing any more.
        session["automatic_tax"]["status"] = json!("complete");
    }
    let completed = session.clone();
    emit(state, "checkout.session.completed", &completed, None);
    Ok(Outcome::Completed(
        completed["success_url"].as_str().map(str::to_owned),
    ))
}

/// The payment intent already took the money; the invoice records it.
fn mark_invoice_paid_out_of_band(state: &mut State, invoice_id: &str, pi: &Value) {
    let customer = pi["customer"].as_str().map(str::to_owned);
    let now = state.now_for_customer(customer.as_deref());
    let Some(invoice) = state.invoices.get_mut(invoice_id) else {
        return;
    };
    let total = invoice["amount_remaining"].clone();
    invoice["status"] = json!("paid");
    invoice["amount_paid"] = total;
    invoice["amount_remaining"] = json!(0);
    invoice["attempted"] = json!(true);
    invoice["attempt_count"] = json!(1);
    invoice["status_transitions"]["paid_at"] = json!(now);
    let paid = invoice.clone();
    emit(state, "invoice.paid", &paid, None);
    emit(state, "invoice.payment_succeeded", &paid, None);
}

pub(super) fn session_lines(state: &State, session_id: &str) -> Vec<(Value, i64)> {
    super::line_items::map_session_items(state, session_id, |i| {
        (i["price"].clone(), i["quantity"].as_i64().unwrap_or(1))
    })
}

/// The session's customer, given its billing address; or a new one.
fn ensure_customer(
    state: &mut State,
    session: &Value,
    email: Option<&str>,
    form: &PaymentForm,
) -> String {
    if let Some(existing) = session["customer"].as_str() {
        if let Some(customer) = state.customers.get_mut(existing) {
            let before = customer.clone();
            if form.address["country"].is_string() {
                customer["address"] = form.address.clone();
            }
            if customer["name"].is_null() {
                customer["name"] = json!(form.name);
            }
            let after = customer.clone();
            emit_updated(state, "customer.updated", &before, &after);
        }
        return existing.to_owned();
    }
    let now = state.now();
    let customer = json!({
        "id": new_id("cus"),
        "object": "customer",
        "address": form.address,
        "balance": 0,
        "created": now,
        "currency": session["currency"],
        "default_source": null,
        "delinquent": false,
        "description": null,
        "discount": null,
        "email": email,
        "invoice_prefix": crate::ids::random_tail(8).to_ascii_uppercase(),
        "invoice_settings": { "custom_fields": null, "default_payment_method": null, "footer": null, "rendering_options": null },
        "livemode": false,
        "metadata": {},
        "name": form.name,
        "next_invoice_sequence": 1,
        "phone": null,
        "preferred_locales": [],
        "shipping": null,
        "tax_exempt": "none",
        "test_clock": null,
    });
    let id = customer["id"].as_str().unwrap_or_default().to_owned();
    state.customers.insert(customer.clone());
    emit(state, "customer.created", &customer, None);
    id
}
