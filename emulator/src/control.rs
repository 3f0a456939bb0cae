//! The emulator's own API (not Stripe's), for tests and demos: reset, time travel, the Tax switch,
//! injected faults and the webhook delivery log. Never from another site: a page open in the
//! same browser cannot move the clock or read deliveries. With
//! [`crate::EmulatorConfig::control_needs_key`] (the demo's), only with one of its API keys.

use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::state::{Fault, WebhookFaults};
use crate::Emulator;

pub fn routes(emulator: Emulator) -> Router<Emulator> {
    Router::new()
        .route("/reset", post(reset))
        .route("/clock", get(clock))
        .route("/clock/advance", post(advance))
        .route("/tax", post(tax))
        .route("/faults", post(faults))
        .route("/dunning", post(dunning))
        .route("/payment_methods/{id}/update_card", post(update_card))
        .route("/webhook_deliveries", get(deliveries))
        .route("/webhook_faults", post(webhook_faults))
        .route("/webhook_endpoints/{id}/roll_secret", post(roll_secret))
        .route_layer(middleware::from_fn_with_state(emulator, guard))
}

async fn guard(
    State(emulator): State<Emulator>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if from_another_site(request.headers()) {
        return Err(ApiError::forbidden(
            "The emulator's control API refuses requests from other sites.",
        ));
    }
    if emulator.config().control_needs_key {
        crate::api::authenticate(&emulator, request.headers())?;
    }
    Ok(next.run(request).await)
}

/// What a browser says of a request a page of another origin made: `Sec-Fetch-Site`, or an
/// `Origin` that is not this host's. Tools (curl, test clients) send neither.
fn from_another_site(headers: &HeaderMap) -> bool {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if matches!(text("sec-fetch-site"), Some("cross-site" | "same-site")) {
        return true;
    }
    match (text("origin"), text("host")) {
        (None, _) => false,
        (Some(origin), Some(host)) => {
            origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"))
                != Some(host)
        }
        (Some(_), None) => true,
    }
}

async fn reset(State(emulator): State<Emulator>) -> Json<Value> {
    emulator.reset();
    Json(json!({ "reset": true }))
}

async fn clock(State(emulator): State<Emulator>) -> Json<Value> {
    let state = emulator.lock();
    Json(json!({ "now": state.now(), "offset_seconds": state.clock_offset }))
}

#[derive(Deserialize)]
struct Advance {
    seconds: i64,
}

/// Moves time for everything not on a test clock, then bills what fell due.
async fn advance(State(emulator): State<Emulator>, Json(body): Json<Advance>) -> Json<Value> {
    emulator.advance_clock(body.seconds);
    let state = emulator.lock();
    Json(json!({ "now": state.now(), "offset_seconds": state.clock_offset }))
}

#[derive(Deserialize)]
struct Tax {
    enabled: bool,
}

async fn tax(State(emulator): State<Emulator>, Json(body): Json<Tax>) -> Json<Value> {
    emulator.set_tax_enabled(body.enabled);
    Json(json!({ "tax_enabled": body.enabled }))
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum DunningEnd {
    Cancel,
    Unpaid,
}

#[derive(Deserialize)]
struct Dunning {
    /// What happens to a subscription once every retry of its invoice has failed.
    end: DunningEnd,
}

/// Stripe keeps this choice in the dashboard's billing settings, not in the API.
async fn dunning(State(emulator): State<Emulator>, Json(body): Json<Dunning>) -> Json<Value> {
    let unpaid = matches!(body.end, DunningEnd::Unpaid);
    emulator.set_dunning_marks_unpaid(unpaid);
    Json(json!({ "end": if unpaid { "unpaid" } else { "cancel" } }))
}

#[derive(Deserialize)]
struct CardUpdate {
    exp_month: Option<i64>,
    exp_year: Option<i64>,
    last4: Option<String>,
}

/// What card networks do when a bank reissues a card (account updater): the saved card gets
/// its new expiry or number and `payment_method.automatically_updated` is sent.
async fn update_card(
    State(emulator): State<Emulator>,
    Path(id): Path<String>,
    Json(body): Json<CardUpdate>,
) -> Result<Json<Value>, crate::error::ApiError> {
    use crate::error::ApiError;
    if body.exp_month.is_some_and(|m| !(1..=12).contains(&m)) {
        return Err(ApiError::invalid_request(
            "exp_month must be 1 to 12.",
            Some("exp_month"),
        ));
    }
    if let Some(last4) = &body.last4 {
        if last4.len() != 4 || !last4.chars().all(|c| c.is_ascii_digit()) {
            return Err(ApiError::invalid_request(
                "last4 must be four digits.",
                Some("last4"),
            ));
        }
    }
    let mut state = emulator.lock();
    let pm = crate::state::require_mut(&mut state.payment_methods, "PaymentMethod", &id, "id")?;
    let previous = json!({ "card": pm["card"].clone() });
    if let Some(month) = body.exp_month {
        pm["card"]["exp_month"] = json!(month);
    }
    if let Some(year) = body.exp_year {
        pm["card"]["exp_year"] = json!(year);
    }
    if let Some(last4) = &body.last4 {
        pm["card"]["last4"] = json!(last4);
    }
    let updated = pm.clone();
    crate::events::emit(
        &mut state,
        "payment_method.automatically_updated",
        &updated,
        Some(previous),
    );
    emulator.flush(&mut state);
    Ok(Json(updated))
}

#[derive(Deserialize)]
struct Faults {
    fault: Fault,
    count: usize,
}

async fn faults(State(emulator): State<Emulator>, Json(body): Json<Faults>) -> Json<Value> {
    emulator.inject_faults(std::iter::repeat_n(body.fault, body.count.min(10_000)));
    let pending = emulator.lock().faults.len();
    Json(json!({ "pending_faults": pending }))
}

async fn deliveries(State(emulator): State<Emulator>) -> Json<Value> {
    Json(json!({ "object": "list", "data": emulator.deliveries() }))
}

async fn webhook_faults(
    State(emulator): State<Emulator>,
    Json(body): Json<WebhookFaults>,
) -> Json<Value> {
    emulator.lock().webhook_faults = body.clone();
    Json(json!({ "webhook_faults": body }))
}

#[derive(Deserialize)]
struct Roll {
    /// How long the old secret keeps signing; Stripe lets the dashboard user pick up to a week.
    #[serde(default = "a_day")]
    expires_in_seconds: i64,
}

fn a_day() -> i64 {
    24 * 3600
}

/// Stripe rolls endpoint secrets from the dashboard only, so this lives in the control API.
async fn roll_secret(
    State(emulator): State<Emulator>,
    Path(id): Path<String>,
    Json(body): Json<Roll>,
) -> Result<Json<Value>, crate::error::ApiError> {
    let mut state = emulator.lock();
    let endpoint =
        crate::state::require_mut(&mut state.webhook_endpoints, "webhook_endpoint", &id, "id")?;
    let expires_at = chrono::Utc::now().timestamp() + body.expires_in_seconds.max(0);
    let old = json!({ "secret": endpoint["secret"], "expires_at": expires_at });
    let mut previous = endpoint["previous_secrets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    previous.push(old);
    endpoint["previous_secrets"] = Value::Array(previous);
    let secret = crate::ids::new_id("whsec");
    endpoint["secret"] = json!(secret);
    Ok(Json(
        json!({ "id": id, "secret": secret, "previous_secret_expires_at": expires_at }),
    ))
}
