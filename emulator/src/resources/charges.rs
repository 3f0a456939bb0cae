//! Charges and refunds. A charge is created by confirming a payment intent; refunds take back
//! all or part of it.

use serde_json::{json, Value};

use super::{metadata, Ctx};
use crate::error::{ApiError, ApiResult};
use crate::events::emit;
use crate::ids::new_id;
use crate::list;
use crate::money::format_amount;
use crate::params::Params;
use crate::resources::payments::DECLINE_MESSAGE;
use crate::state::{require, require_mut};

pub fn charge_object(pi: &Value, pm: &Value, now: i64, succeeded: bool) -> Value {
    let card = &pm["card"];
    let amount = pi["amount"].as_i64().unwrap_or(0);
    json!({
        "id": new_id("ch"),
        "object": "charge",
        "amount": amount,
        "amount_captured": if succeeded { amount } else { 0 },
        "amount_refunded": 0,
        "application": null,
        "application_fee": null,
        "application_fee_amount": null,
        "balance_transaction": null,
        "billing_details": pm["billing_details"],
        "calculated_statement_descriptor": "PAYDESK",
        "captured": succeeded,
        "created": now,
        "currency": pi["currency"],
        "customer": pi["customer"],
        "description": pi["description"],
        "disputed": false,
        "failure_balance_transaction": null,
        "failure_code": if succeeded { Value::Null } else { json!("card_declined") },
        "failure_message": if succeeded { Value::Null } else { json!(DECLINE_MESSAGE) },
        "fraud_details": {},
        "livemode": false,
        "metadata": pi["metadata"],
        "on_behalf_of": null,
        "outcome": {
            "network_status": if succeeded { "approved_by_network" } else { "declined_by_network" },
            "reason": if succeeded { Value::Null } else { json!("generic_decline") },
            "risk_level": "normal",
            "risk_score": 20,
            "seller_message": if succeeded { "Payment complete." } else { "The bank did not return any further details with this decline." },
            "type": if succeeded { "authorized" } else { "issuer_declined" },
        },
        "paid": succeeded,
        "payment_intent": pi["id"],
        "payment_method": pm["id"],
        "payment_method_details": {
            "card": {
                "brand": card["brand"],
                "checks": card["checks"],
                "country": card["country"],
                "exp_month": card["exp_month"],
                "exp_year": card["exp_year"],
                "fingerprint": card["fingerprint"],
                "funding": card["funding"],
                "last4": card["last4"],
                "network": card["brand"],
                "three_d_secure": null,
                "wallet": null,
            },
            "type": "card",
        },
        "receipt_email": null,
        "receipt_number": null,
        "receipt_url": null,
        "refunded": false,
        "review": null,
        "shipping": null,
        "source_transfer": null,
        "statement_descriptor": null,
        "statement_descriptor_suffix": null,
        "status": if succeeded { "succeeded" } else { "failed" },
        "transfer_data": null,
        "transfer_group": null,
    })
}

pub fn retrieve_charge(ctx: &mut Ctx<'_>, id: &str) -> ApiResult<Value> {
    require(&ctx.state.charges, "charge", id, "charge").cloned()
}

pub fn list_charges(ctx: &mut Ctx<'_>, p: &Params) -> ApiResult<Value> {
    let mut items = Vec::new();
    for charge in ctx.state.charges.newest_first() {
        if list::field_matches(p, "customer", charge, "customer")
            && list::field_matches(p, "payment_intent", charge, "payment_intent")
            && list::created_matches(p, charge)?
        {
            items.push(charge.clone());
        }
    }
    list::paginate(items, p, "/v1/charges")
}

/// Full (no `amount`) or partial refunds of a succeeded charge, named directly or through its
/// payment intent; emits `refund.created` and `charge.refunded`.
pub fn create_refund(ctx: &mut Ctx<'_>, p: &Params) -> ApiResult<Value> {
    let charge_id = match (p.str("charge"), p.str("payment_intent")) {
        (Some(charge), _) => charge.to_owned(),
        (None, Some(pi)) => require(
            &ctx.state.payment_intents,
            "payment_intent",
            pi,
            "payment_intent",
        )?["latest_charge"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| {
                ApiError::invalid_request(
                    "This PaymentIntent does not have a successful charge to refund.",
                    Some("payment_intent"),
                )
            })?,
        (None, None) => return Err(ApiError::missing_param("charge")),
    };
    let charge = require(&ctx.state.charges, "charge", &charge_id, "charge")?.clone();
    let currency = charge["currency"].as_str().unwrap_or("usd").to_owned();
    if charge["status"] != "succeeded" {
        return Err(ApiError::invalid_request(
            "This charge cannot be refunded because it did not succeed.",
            Some("charge"),
        ));
    }
    let remaining =
        charge["amount"].as_i64().unwrap_or(0) - charge["amount_refunded"].as_i64().unwrap_or(0);
    if remaining <= 0 {
        let mut error = ApiError::invalid_request(
            format!("Charge {charge_id} has already been refunded."),
            Some("charge"),
        );
        error.code = Some("charge_already_refunded");
        return Err(error);
    }
    let amount = p.int("amount")?.unwrap_or(remaining);
    if amount < 1 || amount > remaining {
        return Err(ApiError::invalid_request(
            format!(
                "Refund amount ({}) is greater than unrefunded amount on charge ({}).",
                format_amount(amount, &currency),
                format_amount(remaining, &currency)
            ),
            Some("amount"),
        ));
    }
    let customer = charge["customer"].as_str().map(str::to_owned);
    let now = ctx.state.now_for_customer(customer.as_deref());
    let refund = json!({
        "id": new_id("re"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": null,
        "charge": charge_id,
        "created": now,
        "currency": currency,
        "destination_details": null,
        "metadata": metadata(p)?,
        "payment_intent": charge["payment_intent"],
        "reason": p.str("reason"),
        "receipt_number": null,
        "source_transfer_reversal": null,
        "status": "succeeded",
        "transfer_reversal": null,
    });
    ctx.state.refunds.insert(refund.clone());
    emit(ctx.state, "refund.created", &refund, None);
    let stored = require_mut(&mut ctx.state.charges, "charge", &charge_id, "charge")?;
    let refunded_total = stored["amount_refunded"].as_i64().unwrap_or(0) + amount;
    stored["amount_refunded"] = json!(refunded_total);
    stored["refunded"] = json!(refunded_total == stored["amount"].as_i64().unwrap_or(0));
    let updated = stored.clone();
    emit(
        ctx.state,
        "charge.refunded",
        &updated,
        Some(json!({ "amount_refunded": refunded_total - amount })),
    );
    Ok(refund)
}

pub fn retrieve_refund(ctx: &mut Ctx<'_>, id: &str) -> ApiResult<Value> {
    require(&ctx.state.refunds, "refund", id, "refund").cloned()
}

pub fn list_refunds(ctx: &mut Ctx<'_>, p: &Params) -> ApiResult<Value> {
    let mut items = Vec::new();
    for refund in ctx.state.refunds.newest_first() {
        if list::field_matches(p, "charge", refund, "charge")
            && list::field_matches(p, "payment_intent", refund, "payment_intent")
            && list::created_matches(p, refund)?
        {
            items.push(refund.clone());
        }
    }
    list::paginate(items, p, "/v1/refunds")
}
