//! The REST API (seed 001): JSON over `/api`, authenticated by Bearer API tokens that admins
//! make in the console. A member token acts as its member; an admin token acts for any
//! member, named by `member_id` where the call creates something.
//!
//! Routes are registered through `utoipa_axum`, so the OpenAPI document served at
//! `/api/openapi.json` is built from the same handler list the router is: a route cannot be
//! served undocumented, nor documented and not served.

mod auth;
mod body;
mod error;
mod payments;
mod subscriptions;

use crate::startup::ServerState;
use axum::routing::get;
use axum::{Json, Router};
use std::sync::Arc;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi as Document;
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use error::{ApiError, ErrorBody};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Paydesk API",
        description = "Payments and subscriptions for members. Authenticate with \
                       `Authorization: Bearer <token>`; tokens are made under Admin > API tokens. \
                       Errors are `{\"error\": {\"code\", \"message\", \"field\"}}`."
    ),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Where the API is mounted; handlers declare their paths below it.
pub const PREFIX: &str = "/api";

/// The API's routes and the document that describes exactly them (paths under [`PREFIX`]).
pub fn api() -> (Router<ServerState>, Document) {
    let (routes, mut document) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(payments::create_intent))
        .routes(routes!(payments::confirm))
        .routes(routes!(payments::show))
        .routes(routes!(subscriptions::create))
        .routes(routes!(subscriptions::update, subscriptions::cancel))
        .split_for_parts();
    document.paths.paths = std::mem::take(&mut document.paths.paths)
        .into_iter()
        .map(|(path, item)| (format!("{PREFIX}{path}"), item))
        .collect();
    (routes, document)
}

/// `/api/...`, `/api/openapi.json`, and a JSON 404 for any other path under `/api`.
pub fn router() -> Router<ServerState> {
    let (routes, document) = api();
    let document = Arc::new(document);
    let routes = routes
        .route(
            "/openapi.json",
            get(move || {
                let document = document.clone();
                async move { Json(document.as_ref().clone()) }
            }),
        )
        .fallback(|| async { ApiError::not_found() });
    Router::new().nest(PREFIX, routes)
}
