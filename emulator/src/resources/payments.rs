//! Payment intents and setup intents. Checkout and invoices charge cards through
//! [`charge_card`]; the API can also create, confirm and cancel intents with Stripe's `pm_card_*`
//! test tokens.

use serde_json::{json, Value};

use super::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::events::emit;
use crate::ids::{new_id, random_tail};
use crate::list;
use crate::params::Params;
use crate::resources::charges::charge_object;
use crate::resources::payment_methods::{create_card, empty_billing_details, Card};
use crate::state::{require, CardBehavior, State};

pub const DECLINE_MESSAGE: &str = "Your card was declined.";

pub struct ChargeRequest<'a> {
    pub customer: Option<&'a str>,
    pub payment_method: &'a str,
    pub amount: i64,
    pub currency: &'a str,
    pub description: Option<&'a str>,
    pub metadata: Value,
    /// Whether the card was already authenticated (3-D Secure passed, or set up for off-session use).
    pub authenticated: bool,
    /// Charged without the customer (renewals): an always-authenticate card then needs action.
    pub off_session: bool,
}

/// Creates a confirmed payment intent and its charge, succeeding or failing as the test card says.
/// Returns the final payment intent.
pub fn charge_card(state: &mut State, req: &ChargeRequest<'_>) -> Value {
    let pi = new_intent(state, req, Some(req.payment_method));
    let id = pi["id"].as_str().unwrap_or_default().to_owned();
    let always =
        state.card_behaviors.get(req.payment_method) == Some(&CardBehavior::AlwaysAuthenticate);
    attempt(
        state,
        &id,
        req.authenticated && !(always && req.off_session),
    )
}

fn new_intent(state: &mut State, req: &ChargeRequest<'_>, payment_method: Option<&str>) -> Value {
    let now = state.now_for_customer(req.customer);
    let id = new_id("pi");
    let pi = json!({
        "id": id,
        "object": "payment_intent",
        "amount": req.amount,
        "amount_capturable": 0,
        "amount_details": { "tip": {} },
        "amount_received": 0,
        "application": null,
        "application_fee_amount": null,
        "automatic_payment_methods": null,
        "canceled_at": null,
        "cancellation_reason": null,
        "capture_method": "automatic",
        "client_secret": format!("{id}_secret_{}", random_tail(25)),
        "confirmation_method": "automatic",
        "created": now,
        "currency": req.currency,
        "customer": req.customer,
        "description": req.description,
        "last_payment_error": null,
        "latest_charge": null,
        "livemode": false,
        "metadata": req.metadata,
        "next_action": null,
        "on_behalf_of": null,
        "payment_method": payment_method,
        "payment_method_configuration_details": null,
        "payment_method_options": { "card": { "request_three_d_secure": "automatic" } },
        "payment_method_types": ["card"],
        "processing": null,
        "receipt_email": null,
        "review": null,
        "setup_future_usage": null,
        "shipping": null,
        "source": null,
        "statement_descriptor": null,
        "statement_descriptor_suffix": null,
        "status": if payment_method.is_some() { "requires_confirmation" } else { "requires_payment_method" },
        "transfer_data": null,
        "transfer_group": null,
    });
    state.payment_intents.insert(pi.clone());
    emit(state, "payment_intent.created", &pi, None);
    pi
}

/// Confirms an intent with its payment method: a charge that succeeds or fails, or a
/// `requires_action` step for a card that wants 3-D Secure first.
fn attempt(state: &mut State, pi_id: &str, authenticated: bool) -> Value {
    let Some(mut pi) = state.payment_intents.get(pi_id).cloned() else {
        return Value::Null;
    };
    let pm_id = pi["payment_method"].as_str().unwrap_or_default().to_owned();
    let behavior = state
        .card_behaviors
        .get(&pm_id)
        .copied()
        .unwrap_or(CardBehavior::Succeeds);
    if behavior.needs_authentication() && !authenticated {
        pi["status"] = json!("requires_action");
        pi["next_action"] = json!({
            "type": "use_stripe_sdk",
            "use_stripe_sdk": { "type": "three_d_secure_redirect", "stripe_js": "" },
        });
        state.payment_intents.insert(pi.clone());
        emit(state, "payment_intent.requires_action", &pi, None);
        return pi;
    }
    let succeeded = matches!(
        behavior,
        CardBehavior::Succeeds
            | CardBehavior::RequiresAuthentication
            | CardBehavior::AlwaysAuthenticate
    );
    let customer = pi["customer"].as_str().map(str::to_owned);
    let now = state.now_for_customer(customer.as_deref());
    let pm = state
        .payment_methods
        .get(&pm_id)
        .cloned()
        .unwrap_or(Value::Null);
    let charge = charge_object(&pi, &pm, now, succeeded);
    state.charges.insert(charge.clone());
    pi["latest_charge"] = charge["id"].clone();
    pi["next_action"] = Value::Null;
    if succeeded {
        pi["status"] = json!("succeeded");
        pi["amount_received"] = pi["amount"].clone();
        pi["last_payment_error"] = Value::Null;
        emit(state, "charge.succeeded", &charge, None);
        state.payment_intents.insert(pi.clone());
        emit(state, "payment_intent.succeeded", &pi, None);
    } else {
        pi["status"] = json!("requires_payment_method");
        pi["last_payment_error"] = json!({
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "generic_decline",
            "message": DECLINE_MESSAGE,
            "charge": charge["id"],
            "payment_method": pm,
        });
        emit(state, "charge.failed", &charge, None);
        state.payment_intents.insert(pi.clone());
        emit(state, "payment_intent.payment_failed", &pi, None);
    }
    pi
}

/// A `pm_card_*` token becomes a fresh payment method, as Stripe does; an id must exist.
fn resolve_payment_method(
    state: &mut State,
    id: &str,
    customer: Option<&str>,
) -> ApiResult<String> {
    if let Some((behavior, last4)) = CardBehavior::from_test_token(id) {
        let card = Card {
            behavior,
            last4,
            exp_month: 12,
            exp_year: 2034,
            billing_details: empty_billing_details(),
        };
        let pm = create_card(state, &card);
        return Ok(pm["id"].as_str().unwrap_or_default().to_owned());
    }
    let pm = require(
        &state.payment_methods,
        "PaymentMethod",
        id,
        "payment_method",
    )?;
    if let (Some(owner), Some(customer)) = (pm["customer"].as_str(), customer) {
        if owner != customer {
            return Err(ApiError::invalid_request(
                format!("The provided PaymentMethod {id} belongs to another Customer."),
                Some("payment_method"),
            ));
        }
    }
    Ok(id.to_owned())
}

pub fn create(ctx: &mut Ctx<'_>, p: &Params) -> ApiResult<Value> {
    let amount = p
        .int("amount")?
        .ok_or_else(|| ApiError::missing_param("amount"))?;
    if amount < 1 {
        return Err(ApiError::invalid_request(
            "Amount must be at least 1.",
            Some("amount"),
        ));
    }
    let currency = p.required_str("currency")?.to_ascii_lowercase();
    let customer = p.str("customer").filter(|c| !c.is_empty());
    if let Some(c) = customer {
        require(&ctx.state.customers, "customer", c, "customer")?;
    }
    let pm = match p.str("payment_method").filter(|s| !s.is_empty()) {
        Some(id) => Some(resolve_payment_method(ctx.state, id, customer)?),
        None => None,
    };
    let req = ChargeRequest {
        customer,
        payment_method: pm.as_deref().unwrap_or_default(),
        amount,
        currency: &currency,
        description: p.str("description"),
        metadata: super::metadata(p)?,
        authenticated: false,
        off_session: false,
    };
    let pi = new_intent(ctx.state, &req, pm.as_deref());
    if p.bool("confirm")?.unwrap_or(false) {
        let id = pi["id"].as_str().unwrap_or_default().to_owned();
        return confirm_now(ctx.state, &id, p.bool("off_session")?.unwrap_or(false));
    }
    Ok(pi)
}

pub fn confirm(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> ApiResult<Value> {
    let pi = require(&ctx.state.payment_intents, "payment_intent", id, "intent")?.clone();
    if !matches!(
        pi["status"].as_str(),
        Some("requires_payment_method" | "requires_confirmation" | "requires_action")
    ) {
        return Err(ApiError::invalid_request(
            format!(
                "You cannot confirm this PaymentIntent because it has a status of {}.",
                pi["status"].as_str().unwrap_or_default()
            ),
            None,
        ));
    }
    if let Some(pm) = p.str("payment_method").filter(|s| !s.is_empty()) {
        let resolved = resolve_payment_method(ctx.state, pm, pi["customer"].as_str())?;
        if let Some(stored) = ctx.state.payment_intents.get_mut(id) {
            stored["payment_method"] = json!(resolved);
        }
    }
    let has_pm = ctx
        .state
        .payment_intents
        .get(id)
        .is_some_and(|pi| pi["payment_method"].is_string());
    if !has_pm {
        return Err(ApiError::invalid_request(
            "You cannot confirm this PaymentIntent because it's missing a payment method.",
            Some("payment_method"),
        ));
    }
    // Confirming again after `requires_action` stands for the buyer passing 3-D Secure.
    let authenticated = pi["status"] == "requires_action";
    if authenticated {
        return Ok(attempt(ctx.state, id, true));
    }
    confirm_now(ctx.state, id, p.bool("off_session")?.unwrap_or(false))
}

/// Stripe answers a declined confirmation with a 402 card error rather than the intent.
fn confirm_now(state: &mut State, id: &str, off_session: bool) -> ApiResult<Value> {
    let pm = state
        .payment_intents
        .get(id)
        .and_then(|pi| pi["payment_method"].as_str())
        .map(str::to_owned);
    let needs_auth = pm
        .as_deref()
        .and_then(|pm| state.card_behaviors.get(pm))
        .is_some_and(|b| b.needs_authentication());
    if off_session && needs_auth {
        let mut error = ApiError::card_declined(
            "authentication_required",
            "Your card was declined. This transaction requires authentication.",
        );
        error.code = Some("authentication_required");
        return Err(error);
    }
    let pi = attempt(state, id, false);
    if pi["status"] == "requires_payment_method" {
        let mut error = ApiError::card_declined("generic_decline", DECLINE_MESSAGE);
        error.payment_intent = Some(Box::new(pi));
        return Err(error);
    }
    Ok(pi)
}

pub fn cancel(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> ApiResult<Value> {
    let customer = require(&ctx.state.payment_intents, "payment_intent", id, "intent")?["customer"]
        .as_str()
        .map(str::to_owned);
    let now = ctx.state.now_for_customer(customer.as_deref());
    let pi = require(&ctx.state.payment_intents, "payment_intent", id, "intent")?;
    if matches!(pi["status"].as_str(), Some("succeeded" | "canceled")) {
        return Err(ApiError::invalid_request(
            format!(
                "You cannot cancel this PaymentIntent because it has a status of {}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.",
                pi["status"].as_str().unwrap_or_default()
            ),
            None,
        ));
    }
    let Some(pi) = ctx.state.payment_intents.get_mut(id) else {
        return Err(ApiError::no_such("payment_intent", id, "intent"));
    };
    pi["status"] = json!("canceled");
    pi["canceled_at"] = json!(now);
    pi["cancellation_reason"] = p
        .str("cancellation_reason")
        .map_or(Value::Null, |r| json!(r));
    pi["next_action"] = Value::Null;
    let pi = pi.clone();
    emit(ctx.state, "payment_intent.canceled", &pi, None);
    Ok(pi)
}

/// A completed setup, as Checkout's setup mode leaves behind.
pub fn succeeded_setup_intent(
    state: &mut State,
    customer: Option<&str>,
    payment_method: &str,
) -> Value {
    let id = new_id("seti");
    let seti = json!({
        "id": id,
        "object": "setup_intent",
        "application": null,
        "automatic_payment_methods": null,
        "cancellation_reason": null,
        "client_secret": format!("{id}_secret_{}", random_tail(25)),
        "created": state.now_for_customer(customer),
        "customer": customer,
        "description": null,
        "flow_directions": null,
        "last_setup_error": null,
        "latest_attempt": null,
        "livemode": false,
        "mandate": null,
        "metadata": {},
        "next_action": null,
        "on_behalf_of": null,
        "payment_method": payment_method,
        "payment_method_options": { "card": { "mandate_options": null, "network": null, "request_three_d_secure": "automatic" } },
        "payment_method_types": ["card"],
        "single_use_mandate": null,
        "status": "succeeded",
        "usage": "off_session",
    });
    state.setup_intents.insert(seti.clone());
    emit(state, "setup_intent.created", &seti, None);
    emit(state, "setup_intent.succeeded", &seti, None);
    seti
}

pub fn retrieve_intent(ctx: &mut Ctx<'_>, id: &str) -> ApiResult<Value> {
    require(&ctx.state.payment_intents, "payment_intent", id, "intent").cloned()
}

pub fn list_intents(ctx: &mut Ctx<'_>, p: &Params) -> ApiResult<Value> {
    let mut items = Vec::new();
    for pi in ctx.state.payment_intents.newest_first() {
        if list::field_matches(p, "customer", pi, "customer") && list::created_matches(p, pi)? {
            items.push(pi.clone());
        }
    }
    list::paginate(items, p, "/v1/payment_intents")
}

pub fn retrieve_setup_intent(ctx: &mut Ctx<'_>, id: &str) -> ApiResult<Value> {
    require(&ctx.state.setup_intents, "setup_intent", id, "intent").cloned()
}
