//! Reading requests: JSON bodies whose errors name the field, and the idempotency key.

use super::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::HeaderMap;
use serde::de::DeserializeOwned;

/// The most a request body may hold.
const BODY_LIMIT: usize = 16 * 1024;

/// A JSON body; a malformed one is a 400 naming the field at fault.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return Err(ApiError::invalid(
                "body",
                "Send a JSON body with Content-Type: application/json.",
            ));
        }
        let bytes = axum::body::to_bytes(request.into_body(), BODY_LIMIT)
            .await
            .map_err(|_| ApiError::invalid("body", "The body is too large."))?;
        if crate::startup::has_encoded_nul(&bytes) {
            return Err(ApiError::invalid(
                "body",
                "Text may not contain NUL characters.",
            ));
        }
        parse(&bytes).map(Self)
    }
}

fn parse<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = inner.to_string();
        // A missing or unknown field has no path yet: its name is in serde's message.
        let field = if path == "." || path.is_empty() {
            message
                .split('`')
                .nth(1)
                .map_or_else(|| "body".to_owned(), str::to_owned)
        } else {
            path
        };
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_owned();
        ApiError::invalid(&field, format!("{field}: {message}"))
    })
}

/// The client's `Idempotency-Key`, or a fresh one: without it each request is its own write.
pub fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    match headers.get("idempotency-key") {
        Some(value) => {
            let key = value
                .to_str()
                .ok()
                .map(str::trim)
                .filter(|k| {
                    !k.is_empty()
                        && k.len() <= 100
                        && k.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
                })
                .ok_or_else(|| {
                    ApiError::invalid(
                        "Idempotency-Key",
                        "Use up to 100 letters, digits, '-', '_', '.' or ':'.",
                    )
                })?;
            Ok(key.to_owned())
        }
        None => Ok(uuid::Builder::from_random_bytes(rand::random())
            .into_uuid()
            .to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        amount: i64,
        currency: String,
    }

    fn field_of(json: &str) -> String {
        let error = parse::<Body>(&Bytes::from(json.to_owned())).expect_err("invalid");
        format!("{error:?}")
    }

    #[test]
    fn errors_name_the_field() {
        assert!(field_of(r#"{"currency": "usd"}"#).contains("\"amount\""));
        assert!(field_of(r#"{"amount": "ten", "currency": "usd"}"#).contains("\"amount\""));
        assert!(field_of(r#"{"amount": 1, "currency": "usd", "extra": 1}"#).contains("\"extra\""));
    }
}
