//! `GET /billing/invoices/{id}/pdf`: an invoice's PDF for its member (or an admin), or a
//! redirect to Stripe's hosted invoice when the settings say to use Stripe's PDF.

use crate::startup::ServerState;
use app::model::AppError;
use app::server::billing::invoices::{download as prepare, Download};
use app::server::context::user_of_session;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
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
        Ok(Download::Redirect(url)) => Redirect::to(&url).into_response(),
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
        Err(AppError::Unauthorized(_)) => Redirect::to("/login").into_response(),
        Err(error) => {
            let status = StatusCode::from_u16(error.status_code())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, error.to_string()).into_response()
        }
    }
}
