//! Who a request acts as: the Bearer token's identity, and the member it acts for.

use super::ApiError;
use crate::startup::ServerState;
use app::model::{AppError, CurrentUser, Role};
use app::server::billing::api_tokens::{self, TokenScope};
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use uuid::Uuid;

/// The caller, authenticated. Extracting it answers 401 for a missing, unknown or revoked
/// token before the handler runs.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    pub scope: TokenScope,
}

impl FromRequestParts<ServerState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ServerState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| ApiError::unauthorized("Send Authorization: Bearer <API token>."))?;
        let secret = header
            .strip_prefix("Bearer ")
            .map(str::trim)
            .ok_or_else(|| ApiError::unauthorized("Send Authorization: Bearer <API token>."))?;
        let identity = api_tokens::authenticate(&state.app.pool, secret)
            .await?
            .ok_or_else(|| ApiError::unauthorized("That API token is not valid or was revoked."))?;
        Ok(Self {
            scope: identity.scope,
        })
    }
}

impl Caller {
    /// The member a call acts for: a member token's own member (naming another is refused),
    /// or the member an admin token names.
    pub async fn member(
        &self,
        state: &ServerState,
        named: Option<Uuid>,
    ) -> Result<CurrentUser, ApiError> {
        let id = match (self.scope, named) {
            (TokenScope::Member(own), None) => own,
            (TokenScope::Member(own), Some(other)) if other == own => own,
            (TokenScope::Member(_), Some(_)) => return Err(AppError::Forbidden.into()),
            (TokenScope::Admin, Some(id)) => id,
            (TokenScope::Admin, None) => {
                return Err(ApiError::invalid(
                    "member_id",
                    "An admin token must name the member (member_id).",
                ))
            }
        };
        app::server::db::users::find(&state.app.pool, id)
            .await
            .map_err(|_| ApiError::from(AppError::Internal))?
            .filter(|u| u.role == Role::Member)
            .ok_or_else(|| ApiError::invalid("member_id", "No member has that id."))
    }

    /// The member an id-addressed call acts for: a member token's own; for an admin token,
    /// whoever owns the object (`owner`, looked up by the caller).
    pub async fn member_or_owner(
        &self,
        state: &ServerState,
        owner: impl std::future::Future<Output = Result<Option<Uuid>, AppError>>,
    ) -> Result<CurrentUser, ApiError> {
        match self.scope {
            TokenScope::Member(_) => self.member(state, None).await,
            TokenScope::Admin => {
                let owner = owner.await?.ok_or_else(ApiError::not_found)?;
                self.member(state, Some(owner)).await
            }
        }
    }
}
