//! Payments as the console sees them, and refunds. A refund is checked against what Stripe
//! says is left on the charge (not a copy that a late webhook could leave stale), made with
//! an idempotency key, and audited; its outcome comes back by webhook.

use super::invoices::{after_of, currency_of, customers_named, paged};
use crate::model::{
    AppError, CurrentUser, Cursor, Money, Page, PaymentQuery, PaymentState, PaymentSummary,
    RefundForm, StripeId, PAGE_SIZE,
};
use crate::server::db;
use crate::server::db::audit::{self, Actor};
use crate::server::db::payments::{PaymentFilter, PaymentRow};
use crate::server::error::OrInternal;
use crate::server::stripe::RefundRequest;
use crate::server::AppState;
use serde_json::json;

const STATES: &[&str] = &[
    "succeeded",
    "partially_refunded",
    "refunded",
    "failed",
    "pending",
    "canceled",
];

pub async fn page(
    state: &AppState,
    query: &PaymentQuery,
) -> Result<Page<PaymentSummary>, AppError> {
    if !query.state.is_empty() && !STATES.contains(&query.state.as_str()) {
        return Err(AppError::validation("state", "Unknown payment state."));
    }
    if query.member.len() > 200 {
        return Err(AppError::validation("member", "That search is too long."));
    }
    let cursor = query.after.as_deref().map(Cursor::decode).transpose()?;
    let mode = state.mode().await?;
    let customers = customers_named(state, &mode, &query.member).await?;
    let rows = db::payments::page(
        &state.pool,
        &mode,
        &PaymentFilter {
            state: &query.state,
            customers: customers.as_deref(),
            id: None,
        },
        &after_of(cursor.as_ref()),
        PAGE_SIZE + 1,
    )
    .await
    .or_internal("list payments")?;
    Ok(paged(
        rows,
        |r| Cursor {
            created: r.created,
            id: r.id.clone(),
        },
        summary,
    ))
}

/// A customer's newest payments, for the member page in the console.
pub async fn member_payments(
    state: &AppState,
    mode: &str,
    customer_id: &str,
    limit: i64,
) -> Result<Vec<PaymentSummary>, AppError> {
    let customers = [customer_id.to_owned()];
    let rows = db::payments::page(
        &state.pool,
        mode,
        &PaymentFilter {
            customers: Some(&customers),
            ..PaymentFilter::default()
        },
        &after_of(None),
        limit,
    )
    .await
    .or_internal("list member payments")?;
    Ok(rows.into_iter().map(summary).collect())
}

fn summary(r: PaymentRow) -> PaymentSummary {
    let currency = currency_of(&r.currency);
    let received = if r.status == "succeeded" {
        r.amount_received
    } else {
        r.amount
    };
    let method = match (&r.card_brand, &r.card_last4) {
        (Some(brand), Some(last4)) => Some(format!("{} ending {last4}", capitalise(brand))),
        _ => None,
    };
    PaymentSummary {
        state: PaymentState::of(
            &r.status,
            r.amount_received,
            r.amount_refunded,
            r.failure_message.is_some(),
        ),
        amount: Money::new(received, currency.clone()),
        refunded: Money::new(r.amount_refunded, currency),
        created: r.created,
        customer_id: r.customer_id,
        member_email: r.member_email,
        member_name: r.member_name,
        method,
        failure_message: r.failure_message,
        invoice_id: r.invoice_id,
        invoice_number: r.invoice_number,
        id: r.id,
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// What a refund request left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundMade {
    pub refund_id: String,
    pub amount: Money,
    pub status: String,
}

/// Refunds all or part of a succeeded payment.
pub async fn refund(
    state: &AppState,
    admin: &CurrentUser,
    form: &RefundForm,
) -> Result<RefundMade, AppError> {
    let stripe = state.settings().stripe().await?;
    let mode = stripe.mode().as_str();
    let payment = db::payments::find(&state.pool, mode, form.payment_id.trim())
        .await
        .or_internal("load payment")?
        .ok_or(AppError::NotFound)?;
    if payment.status != "succeeded" {
        return Err(AppError::validation(
            "amount",
            "Only a payment that succeeded can be refunded.",
        ));
    }
    let intent = StripeId::parse_prefixed("pi", &payment.id).or_internal("read payment id")?;
    // What is left, as Stripe has it now: a refund made a moment ago may not be stored yet.
    let (_, charge) = stripe
        .payment_intent_charge(&intent)
        .await
        .map_err(super::settings::payment_error)?;
    let Some(charge) = charge else {
        return Err(AppError::validation(
            "amount",
            "This payment has no charge to refund.",
        ));
    };
    let refunded = charge.amount_refunded;
    let currency = currency_of(&payment.currency);
    let left = Money::new((charge.amount_captured - refunded).max(0), currency.clone());
    let amount = form.amount_within(&left)?;

    let mut metadata = vec![("paydesk_admin", admin.email.to_string())];
    if !form.note.trim().is_empty() {
        metadata.push(("paydesk_note", form.note.trim().to_owned()));
    }
    let request = RefundRequest {
        payment_intent: &intent,
        amount,
        reason: &form.reason,
        metadata,
    };
    // The same refund asked twice (a double click, a retried request) is one refund: the key
    // names the payment, the amount and what was refunded before it.
    let key = format!("paydesk-refund-{}-{amount}-{refunded}", payment.id);
    let made = stripe
        .create_refund(&request, &key)
        .await
        .map_err(super::settings::payment_error)?;
    let refund_id = made.id.to_string();
    let status = made.status;
    audit::record(
        &state.pool,
        &Actor::from(admin),
        "payment.refunded",
        &payment.id,
        json!({
            "refund": refund_id,
            "amount": amount,
            "currency": currency.code(),
            "reason": form.reason,
            "note": form.note.trim(),
            "amount_refunded": { "before": refunded, "after": refunded + amount },
            "member": payment.member_email,
        }),
    )
    .await
    .or_internal("audit refund")?;
    Ok(RefundMade {
        refund_id,
        amount: Money::new(amount, currency),
        status,
    })
}
