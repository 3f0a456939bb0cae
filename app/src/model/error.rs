use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// The one error type that crosses from the server to the browser.
///
/// Every message is safe to show a user: internal failures are logged on the server with their
/// cause and reach the client only as [`AppError::Internal`], which carries no detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Unauthorized(String),
    #[error("You do not have access to this page.")]
    Forbidden,
    #[error("Not found.")]
    NotFound,
    #[error("{message}")]
    Validation { field: String, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooManyRequests(String),
    /// Stripe refused or could not be reached; the text is safe to show (never a key).
    #[error("{0}")]
    Payment(String),
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The request never reached our code (network down, malformed call).
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

impl AppError {
    pub fn sign_in_required() -> Self {
        Self::Unauthorized("Please sign in.".into())
    }

    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Self::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The message for a form field, when this error is about that field.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            Self::Validation { field: f, message } if f == field => Some(message.clone()),
            _ => None,
        }
    }

    /// The HTTP status a server function answers with when it fails this way.
    pub fn status_code(&self) -> u16 {
        match self {
            Self::Unauthorized(_) => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::Validation { .. } => 400,
            Self::Conflict(_) => 409,
            Self::TooManyRequests(_) => 429,
            Self::Payment(_) => 502,
            Self::Internal => 500,
            Self::Transport(_) => 400,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::Transport(value.to_string())
    }
}
