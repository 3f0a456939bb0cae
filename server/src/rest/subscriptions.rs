//! `/api/subscriptions`: a member's plan without Checkout.

use super::auth::Caller;
use super::body::{idempotency_key, ApiJson};
use super::{ApiError, ErrorBody};
use crate::startup::ServerState;
use app::model::MemberSubscription;
use app::server::billing::member::{owner_of, MemberBilling};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSubscription {
    /// A recurring plan price from the catalog (Stripe's `price_...`).
    pub price_id: String,
    /// Charged and saved as the subscription's card; without it the member's default card.
    pub payment_method: Option<String>,
    /// The member to subscribe; only (and always) with an admin token.
    pub member_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSubscription {
    /// Switch to this plan price (prorated; a declined charge changes nothing).
    pub price_id: Option<String>,
    /// `true` ends the plan at the end of the period; `false` takes that back.
    pub cancel_at_period_end: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Subscription {
    pub id: String,
    pub status: String,
    pub price_id: String,
    /// The plan's name in the catalog.
    pub product: String,
    pub amount: i64,
    pub currency: String,
    /// Unix seconds.
    pub current_period_end: Option<i64>,
    pub cancel_at_period_end: bool,
    pub trial_end: Option<i64>,
}

impl From<MemberSubscription> for Subscription {
    fn from(s: MemberSubscription) -> Self {
        Self {
            id: s.id,
            status: s.status,
            price_id: s.price_id,
            product: s.product,
            amount: s.amount.amount_minor,
            currency: s.amount.currency.code().to_owned(),
            current_period_end: s.current_period_end.map(|t| t.timestamp()),
            cancel_at_period_end: s.cancel_at_period_end,
            trial_end: s.trial_end.map(|t| t.timestamp()),
        }
    }
}

/// Subscribes the member to a plan, charging the first invoice now.
#[utoipa::path(
    post, path = "/subscriptions/create", tag = "subscriptions",
    request_body = CreateSubscription,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request one subscription")),
    responses(
        (status = 201, body = Subscription),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 402, body = ErrorBody, description = "The card was declined"),
        (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The member already has a subscription"),
    )
)]
pub async fn create(
    State(state): State<ServerState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CreateSubscription>,
) -> Result<(StatusCode, Json<Subscription>), ApiError> {
    let member = caller.member(&state, body.member_id).await?;
    let billing = MemberBilling::new(&state.app, &member).await?;
    let created = billing
        .subscribe(
            body.price_id.trim(),
            body.payment_method.as_deref(),
            &idempotency_key(&headers)?,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// Switches plan and/or sets or takes back cancellation at period end.
#[utoipa::path(
    put, path = "/subscriptions/{id}", tag = "subscriptions",
    request_body = UpdateSubscription,
    params(("id" = String, Path, description = "sub_...")),
    responses(
        (status = 200, body = Subscription),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 402, body = ErrorBody, description = "The switch's charge was declined; nothing changed"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<ServerState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateSubscription>,
) -> Result<Json<Subscription>, ApiError> {
    if body.price_id.is_none() && body.cancel_at_period_end.is_none() {
        return Err(ApiError::invalid(
            "price_id",
            "Send price_id, cancel_at_period_end, or both.",
        ));
    }
    let member = caller
        .member_or_owner(&state, owner_of(&state.app, "subscriptions", &id))
        .await?;
    let billing = MemberBilling::new(&state.app, &member).await?;
    let mut updated = None;
    if let Some(price) = body.price_id.as_deref() {
        updated = Some(billing.switch(&id, price.trim()).await?);
    }
    match body.cancel_at_period_end {
        Some(true) => updated = Some(billing.cancel(&id).await?),
        Some(false) => updated = Some(billing.resume(&id).await?),
        None => {}
    }
    let updated = updated.ok_or_else(ApiError::not_found)?;
    Ok(Json(updated.into()))
}

/// Cancels the subscription now; access ends with it.
#[utoipa::path(
    delete, path = "/subscriptions/{id}", tag = "subscriptions",
    params(("id" = String, Path, description = "sub_...")),
    responses(
        (status = 200, body = Subscription),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
pub async fn cancel(
    State(state): State<ServerState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Subscription>, ApiError> {
    let member = caller
        .member_or_owner(&state, owner_of(&state.app, "subscriptions", &id))
        .await?;
    let billing = MemberBilling::new(&state.app, &member).await?;
    let canceled = billing.cancel_now(&id, &idempotency_key(&headers)?).await?;
    Ok(Json(canceled.into()))
}
