//! `/api/payments`: payment intents for one-off charges.

use super::auth::Caller;
use super::body::{idempotency_key, ApiJson};
use super::{ApiError, ErrorBody};
use crate::startup::ServerState;
use app::model::Currency;
use app::server::billing::member::{owner_of, MemberBilling};
use app::server::stripe::PaymentIntent;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIntent {
    /// In minor units of `currency` (cents; yen for JPY).
    pub amount: i64,
    /// ISO 4217, e.g. `eur`.
    pub currency: String,
    pub description: Option<String>,
    /// The member to charge; only (and always) with an admin token.
    pub member_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmIntent {
    pub payment_intent: String,
    /// A card saved by the member, or a Stripe test card (`pm_card_visa`).
    pub payment_method: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Payment {
    pub id: String,
    /// Stripe's status: `requires_payment_method`, `requires_action`, `processing`,
    /// `succeeded`, `canceled`.
    pub status: String,
    pub amount: i64,
    pub amount_received: i64,
    pub currency: String,
    pub description: Option<String>,
    /// For confirming in the browser with Stripe.js.
    pub client_secret: Option<String>,
    pub failure_message: Option<String>,
    /// Unix seconds.
    pub created: i64,
}

impl Payment {
    fn of(intent: &PaymentIntent) -> Self {
        Self {
            id: intent.id.to_string(),
            status: intent.status.clone(),
            amount: intent.amount,
            amount_received: intent.amount_received,
            currency: intent.currency.clone(),
            description: intent.description.clone(),
            client_secret: intent.client_secret.clone(),
            failure_message: intent.failure_message().map(str::to_owned),
            created: intent.created,
        }
    }
}

/// Creates a payment intent on the member's Stripe customer.
#[utoipa::path(
    post, path = "/payments/create-intent", tag = "payments",
    request_body = CreateIntent,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request one payment")),
    responses(
        (status = 201, body = Payment),
        (status = 400, body = ErrorBody, description = "A field is missing or wrong; `field` names it"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 402, body = ErrorBody, description = "Stripe refused or could not be reached"),
    )
)]
pub async fn create_intent(
    State(state): State<ServerState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CreateIntent>,
) -> Result<(StatusCode, Json<Payment>), ApiError> {
    let currency = Currency::parse(&body.currency)
        .map_err(|message| ApiError::invalid("currency", message))?;
    let member = caller.member(&state, body.member_id).await?;
    let billing = MemberBilling::new(&state.app, &member).await?;
    let intent = billing
        .create_payment_intent(
            body.amount,
            &currency,
            body.description.as_deref(),
            &idempotency_key(&headers)?,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(Payment::of(&intent))))
}

/// Confirms a payment intent with a card. A declined card is a 402 with Stripe's reason.
#[utoipa::path(
    post, path = "/payments/confirm", tag = "payments",
    request_body = ConfirmIntent,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request one confirmation")),
    responses(
        (status = 200, body = Payment),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 402, body = ErrorBody, description = "The card was declined"),
        (status = 404, body = ErrorBody, description = "No such payment for this token"),
        (status = 409, body = ErrorBody, description = "The payment is already settled"),
    )
)]
pub async fn confirm(
    State(state): State<ServerState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ConfirmIntent>,
) -> Result<Json<Payment>, ApiError> {
    let member = caller
        .member_or_owner(
            &state,
            owner_of(&state.app, "payment_intents", &body.payment_intent),
        )
        .await?;
    let billing = MemberBilling::new(&state.app, &member).await?;
    let confirmed = billing
        .confirm_payment(
            body.payment_intent.trim(),
            body.payment_method.trim(),
            &idempotency_key(&headers)?,
        )
        .await?;
    Ok(Json(Payment::of(&confirmed)))
}

/// A payment as Stripe has it now.
#[utoipa::path(
    get, path = "/payments/{id}", tag = "payments",
    params(("id" = String, Path, description = "The payment intent id, pi_...")),
    responses(
        (status = 200, body = Payment),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such payment for this token"),
    )
)]
pub async fn show(
    State(state): State<ServerState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Payment>, ApiError> {
    let member = caller
        .member_or_owner(&state, owner_of(&state.app, "payment_intents", &id))
        .await?;
    let billing = MemberBilling::new(&state.app, &member).await?;
    let intent = billing.own_payment_intent(&id).await?;
    Ok(Json(Payment::of(&intent)))
}
