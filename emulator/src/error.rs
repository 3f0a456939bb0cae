//! Stripe's error object and status codes, so clients map failures exactly as they would against Stripe.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, Clone, thiserror::Error)]
#[error("{status} {kind}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub code: Option<&'static str>,
    pub decline_code: Option<&'static str>,
    pub message: String,
    pub param: Option<String>,
    /// Card errors from confirming an intent carry the intent, as Stripe's do.
    pub payment_intent: Option<Box<serde_json::Value>>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn invalid_request(message: impl Into<String>, param: Option<&str>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            kind: "invalid_request_error",
            code: None,
            decline_code: None,
            message: message.into(),
            param: param.map(str::to_owned),
            payment_intent: None,
        }
    }

    pub fn missing_param(param: &str) -> Self {
        ApiError {
            code: Some("parameter_missing"),
            ..Self::invalid_request(format!("Missing required param: {param}."), Some(param))
        }
    }

    /// Stripe answers an unknown id with 404 `resource_missing` naming the parameter that carried it.
    pub fn no_such(resource: &str, id: &str, param: &str) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            code: Some("resource_missing"),
            ..Self::invalid_request(format!("No such {resource}: '{id}'"), Some(param))
        }
    }

    pub fn unrecognized_url(method: &str, path: &str) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            ..Self::invalid_request(
                format!("Unrecognized request URL ({method}: {path})."),
                None,
            )
        }
    }

    pub fn forbidden(message: &str) -> Self {
        ApiError {
            status: StatusCode::FORBIDDEN,
            ..Self::invalid_request(message, None)
        }
    }

    pub fn missing_api_key() -> Self {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            ..Self::invalid_request(
                "You did not provide an API key. You need to provide your API key in the Authorization header, \
                 using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
                None,
            )
        }
    }

    pub fn invalid_api_key(key: &str) -> Self {
        let tail: String = key
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let head: String = key.chars().take(8).collect();
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            code: Some("api_key_invalid"),
            ..Self::invalid_request(format!("Invalid API Key provided: {head}****{tail}"), None)
        }
    }

    pub fn idempotency_mismatch(key: &str) -> Self {
        ApiError {
            kind: "idempotency_error",
            ..Self::invalid_request(
                format!(
                    "Keys for idempotent requests can only be used with the same parameters they were first \
                     used with. Try using a key other than '{key}' if you meant to execute a different request."
                ),
                None,
            )
        }
    }

    pub fn card_declined(decline_code: &'static str, message: &str) -> Self {
        ApiError {
            status: StatusCode::PAYMENT_REQUIRED,
            kind: "card_error",
            code: Some("card_declined"),
            decline_code: Some(decline_code),
            message: message.to_owned(),
            param: None,
            payment_intent: None,
        }
    }

    pub fn rate_limited() -> Self {
        ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: Some("rate_limit"),
            ..Self::invalid_request(
                "Too many requests hit the API too quickly. (injected by the emulator)",
                None,
            )
        }
    }

    pub fn internal() -> Self {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            kind: "api_error",
            code: None,
            decline_code: None,
            message: "An unknown error occurred. (injected by the emulator)".to_owned(),
            param: None,
            payment_intent: None,
        }
    }

    pub fn body(&self) -> serde_json::Value {
        let mut error = json!({
            "type": self.kind,
            "message": self.message,
        });
        if let Some(code) = self.code {
            error["code"] = json!(code);
            error["doc_url"] = json!(format!(
                "https://stripe.com/docs/error-codes/{}",
                code.replace('_', "-")
            ));
        }
        if let Some(dc) = self.decline_code {
            error["decline_code"] = json!(dc);
        }
        if let Some(pi) = &self.payment_intent {
            error["payment_intent"] = (**pi).clone();
        }
        if let Some(param) = &self.param {
            error["param"] = json!(param);
        }
        json!({ "error": error })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body())).into_response()
    }
}
