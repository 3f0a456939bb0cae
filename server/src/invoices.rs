//! `GET /billing/invoices/{id}/pdf`: an invoice's PDF for its member (or an admin), or a
//! redirect to Stripe's hosted invoice when the settings say to use Stripe's PDF.

use crate::startup::ServerState;
use app::model::{encode_query_value, AppError};
use app::server::billing::invoices::{download as prepare, Download};
use app::server::context::user_of_session;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

pub const PDF_PATH: &str = "/billing/invoices/{id}/pdf";

pub async fn download(
    State(state): State<ServerState>,
    session: Session,
    Path(id): Path<String>,
) -> Response {
    let outcome = async {
        let viewer = user_of_session(&state.app.pool, &session)
            .await?
            .ok_or_else(AppError::sign_in_required)?;
        prepare(&state.app, &viewer, &id).await
    }
    .await;
    match outcome {
        Ok(Download::Redirect(url)) => match url::Url::parse(&url) {
            // Stripe's hosted invoice page; anything that is not a plain web URL is not followed.
            Ok(parsed) if matches!(parsed.scheme(), "https" | "http") => found(parsed.as_str()),
            _ => {
                tracing::warn!(invoice = %id, "hosted invoice URL is not a web URL");
                (
                    StatusCode::BAD_GATEWAY,
                    "Stripe's invoice page is unavailable.",
                )
                    .into_response()
            }
        },
        Ok(Download::Pdf { filename, bytes }) => {
            let disposition = HeaderValue::from_str(&format!("inline; filename=\"{filename}\""))
                .unwrap_or_else(|_| HeaderValue::from_static("inline"));
            (
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/pdf"),
                    ),
                    (header::CONTENT_DISPOSITION, disposition),
                    (
                        header::CACHE_CONTROL,
                        HeaderValue::from_static("private, no-store"),
                    ),
                ],
                bytes,
            )
                .into_response()
        }
        Err(AppError::Unauthorized(_)) => {
            let back = PDF_PATH.replace("{id}", &id);
            found(&format!("/login?next={}", encode_query_value(&back)))
        }
        Err(error) => {
            let status = StatusCode::from_u16(error.status_code())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, error.to_string()).into_response()
        }
    }
}

/// A 303 to `location`; a value that cannot be a header (it never can here: both callers pass
/// a parsed URL or an encoded path) answers 500 instead of panicking like axum's `Redirect`.
fn found(location: &str) -> Response {
    match HeaderValue::try_from(location) {
        Ok(value) => (StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
