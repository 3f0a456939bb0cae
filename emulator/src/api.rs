//! The `/v1` front door: authentication, injected faults, parameter parsing, idempotency and
//! routing, in that order, the way Stripe applies them.

use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::params::Params;
use crate::resources::{self, Ctx};
use crate::state::{Fault, StoredResponse};
use crate::Emulator;

pub async fn handle(
    AxumState(emulator): AxumState<Emulator>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let api_key = match authenticate(&emulator, &headers) {
        Ok(key) => key,
        Err(error) => return error.into_response(),
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let base_url = emulator.base_url(host);
    let fault = emulator.lock().faults.pop_front();
    match fault {
        Some(Fault::RateLimit) => return ApiError::rate_limited().into_response(),
        Some(Fault::ServerError) => return ApiError::internal().into_response(),
        Some(Fault::Hang) => {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            return ApiError::internal().into_response();
        }
        None => {}
    }
    let mut state = emulator.lock();
    let params = match read_params(&method, &uri, &body) {
        Ok(p) => p,
        Err(error) => return error.into_response(),
    };
    let idempotency_key = (method == Method::POST)
        .then(|| headers.get("idempotency-key").and_then(|v| v.to_str().ok()))
        .flatten()
        .map(str::to_owned);
    let fingerprint = format!("{method} {} {}", uri.path(), params.fingerprint());
    if let Some(key) = &idempotency_key {
        if let Some(stored) = state.idempotency.get(&(api_key.clone(), key.clone())) {
            if stored.request_fingerprint != fingerprint {
                return ApiError::idempotency_mismatch(key).into_response();
            }
            let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
            let mut response = (status, axum::Json(stored.body.clone())).into_response();
            response
                .headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            response
                .headers_mut()
                .insert("idempotency-key", header_value(key));
            return response;
        }
    }

    let path = uri.path().trim_start_matches("/v1/").trim_end_matches('/');
    let segments: Vec<&str> = path.split('/').collect();
    let unknown = (method == Method::POST)
        .then(|| crate::allowed::first_unknown(&segments, params.names()))
        .flatten();
    let result = if let Some(name) = unknown {
        Err(ApiError {
            code: Some("parameter_unknown"),
            ..ApiError::invalid_request(format!("Received unknown parameter: {name}"), Some(name))
        })
    } else {
        let mut ctx = Ctx {
            state: &mut state,
            base_url: &base_url,
        };
        route(&mut ctx, &method, &segments, &params).map(|mut object| {
            ctx.expand(&mut object, &params.strings("expand"));
            object
        })
    };
    let (status, body) = match result {
        Ok(object) => (StatusCode::OK, object),
        Err(error) => (error.status, error.body()),
    };
    if let Some(key) = &idempotency_key {
        // Stripe does not save a 500, so a retry after a server failure executes again.
        if status != StatusCode::INTERNAL_SERVER_ERROR {
            let stored = StoredResponse {
                request_fingerprint: fingerprint,
                status: status.as_u16(),
                body: body.clone(),
            };
            state.idempotency.insert((api_key, key.clone()), stored);
        }
    }
    emulator.flush(&mut state);
    drop(state);
    let mut response = (status, axum::Json(body)).into_response();
    if let Some(key) = &idempotency_key {
        response
            .headers_mut()
            .insert("idempotency-key", header_value(key));
    }
    response.headers_mut().insert(
        "stripe-version",
        HeaderValue::from_static(crate::API_VERSION),
    );
    response
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// Bearer auth as async-stripe sends it, and Basic auth with the key as user name, as in
/// Stripe's `curl -u sk_test_...:` examples.
pub(crate) fn authenticate(emulator: &Emulator, headers: &HeaderMap) -> ApiResult<String> {
    let raw = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(ApiError::missing_api_key)?;
    let key = if let Some(bearer) = raw.strip_prefix("Bearer ") {
        bearer.trim().to_owned()
    } else if let Some(basic) = raw.strip_prefix("Basic ") {
        use base64::Engine;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(basic.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(ApiError::missing_api_key)?;
        decoded.split(':').next().unwrap_or_default().to_owned()
    } else {
        return Err(ApiError::missing_api_key());
    };
    if key.is_empty() {
        return Err(ApiError::missing_api_key());
    }
    if emulator.config().api_keys.contains(&key) {
        Ok(key)
    } else {
        Err(ApiError::invalid_api_key(&key))
    }
}

fn read_params(method: &Method, uri: &Uri, body: &Bytes) -> ApiResult<Params> {
    if *method == Method::POST {
        let text = std::str::from_utf8(body)
            .map_err(|_| ApiError::invalid_request("The request body is not valid UTF-8.", None))?;
        if !text.trim().is_empty() {
            return Params::parse(text);
        }
    }
    Params::parse(uri.query().unwrap_or_default())
}

fn route(ctx: &mut Ctx<'_>, method: &Method, path: &[&str], p: &Params) -> ApiResult<Value> {
    use resources::*;
    let get = *method == Method::GET;
    let post = *method == Method::POST;
    let delete = *method == Method::DELETE;
    match path {
        ["account"] if get => account::retrieve(ctx),
        ["products"] if get => products::list(ctx, p),
        ["products"] if post => products::create(ctx, p),
        ["products", id] if get => products::retrieve(ctx, id),
        ["products", id] if post => products::update(ctx, id, p),
        ["prices"] if get => prices::list(ctx, p),
        ["prices"] if post => prices::create(ctx, p),
        ["prices", id] if get => prices::retrieve(ctx, id),
        ["prices", id] if post => prices::update(ctx, id, p),
        ["coupons"] if get => coupons::list(ctx, p),
        ["coupons"] if post => coupons::create(ctx, p),
        ["coupons", id] if get => coupons::retrieve(ctx, id),
        ["coupons", id] if post => coupons::update(ctx, id, p),
        ["coupons", id] if delete => coupons::delete(ctx, id),
        ["promotion_codes"] if get => promotion_codes::list(ctx, p),
        ["promotion_codes"] if post => promotion_codes::create(ctx, p),
        ["promotion_codes", id] if get => promotion_codes::retrieve(ctx, id),
        ["promotion_codes", id] if post => promotion_codes::update(ctx, id, p),
        ["tax_rates"] if get => tax_rates::list(ctx, p),
        ["tax_rates"] if post => tax_rates::create(ctx, p),
        ["tax_rates", id] if get => tax_rates::retrieve(ctx, id),
        ["tax_rates", id] if post => tax_rates::update(ctx, id, p),
        ["customers"] if get => customers::list(ctx, p),
        ["customers"] if post => customers::create(ctx, p),
        ["customers", id] if get => customers::retrieve(ctx, id),
        ["customers", id] if post => customers::update(ctx, id, p),
        ["customers", id] if delete => customers::delete(ctx, id),
        ["customers", id, "tax_ids"] if get => tax_ids::list(ctx, id, p),
        ["customers", id, "tax_ids"] if post => tax_ids::create(ctx, id, p),
        ["customers", id, "tax_ids", tx] if get => tax_ids::retrieve(ctx, id, tx),
        ["customers", id, "tax_ids", tx] if delete => tax_ids::delete(ctx, id, tx),
        ["customers", id, "payment_methods"] if get => {
            payment_methods::list_for_customer(ctx, id, p)
        }
        ["billing_portal", "sessions"] if post => billing_portal::create(ctx, p),
        ["checkout", "sessions"] if get => checkout::list(ctx, p),
        ["checkout", "sessions"] if post => checkout::create(ctx, p),
        ["checkout", "sessions", id] if get => checkout::retrieve(ctx, id),
        ["checkout", "sessions", id, "line_items"] if get => checkout::line_items(ctx, id, p),
        ["checkout", "sessions", id, "expire"] if post => checkout::expire(ctx, id),
        ["subscriptions"] if get => subscriptions::list(ctx, p),
        ["subscriptions"] if post => subscriptions::create(ctx, p),
        ["subscriptions", id] if get => subscriptions::retrieve(ctx, id),
        ["subscriptions", id] if post => subscriptions::update(ctx, id, p),
        ["subscriptions", id] if delete => subscriptions::cancel(ctx, id, p),
        ["invoices"] if get => invoices::list(ctx, p),
        ["invoices", "create_preview"] if post => invoices::create_preview(ctx, p),
        ["invoices", id] if get => invoices::retrieve(ctx, id),
        ["invoices", id, "finalize"] if post => invoices::finalize(ctx, id),
        ["invoices", id, "pay"] if post => invoices::pay(ctx, id, p),
        ["payment_intents"] if get => payments::list_intents(ctx, p),
        ["payment_intents"] if post => payments::create(ctx, p),
        ["payment_intents", id] if get => payments::retrieve_intent(ctx, id),
        ["payment_intents", id, "confirm"] if post => payments::confirm(ctx, id, p),
        ["payment_intents", id, "cancel"] if post => payments::cancel(ctx, id, p),
        ["refunds"] if get => charges::list_refunds(ctx, p),
        ["refunds"] if post => charges::create_refund(ctx, p),
        ["refunds", id] if get => charges::retrieve_refund(ctx, id),
        ["charges"] if get => charges::list_charges(ctx, p),
        ["charges", id] if get => charges::retrieve_charge(ctx, id),
        ["payment_methods"] if get => payment_methods::list(ctx, p),
        ["payment_methods", id] if get => payment_methods::retrieve(ctx, id),
        ["payment_methods", id, "attach"] if post => payment_methods::attach(ctx, id, p),
        ["payment_methods", id, "detach"] if post => payment_methods::detach(ctx, id),
        ["setup_intents", id] if get => payments::retrieve_setup_intent(ctx, id),
        ["webhook_endpoints"] if get => webhook_endpoints::list(ctx, p),
        ["webhook_endpoints"] if post => webhook_endpoints::create(ctx, p),
        ["webhook_endpoints", id] if get => webhook_endpoints::retrieve(ctx, id),
        ["webhook_endpoints", id] if post => webhook_endpoints::update(ctx, id, p),
        ["webhook_endpoints", id] if delete => webhook_endpoints::delete(ctx, id),
        ["events"] if get => crate::events::list(ctx.state, p),
        ["events", id] if get => crate::events::retrieve(ctx.state, id),
        ["test_helpers", "test_clocks"] if get => test_clocks::list(ctx, p),
        ["test_helpers", "test_clocks"] if post => test_clocks::create(ctx, p),
        ["test_helpers", "test_clocks", id] if get => test_clocks::retrieve(ctx, id),
        ["test_helpers", "test_clocks", id] if delete => test_clocks::delete(ctx, id),
        ["test_helpers", "test_clocks", id, "advance"] if post => test_clocks::advance(ctx, id, p),
        _ => Err(ApiError::unrecognized_url(
            method.as_str(),
            &format!("/v1/{}", path.join("/")),
        )),
    }
}
