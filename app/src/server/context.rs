//! What a server function needs from its request: the app state, the session, and the
//! signed-in user, with the role checks every server function makes.

use crate::model::{AppError, CurrentUser, Role};
use crate::server::db;
use crate::server::error::OrInternal;
use crate::server::AppState;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use tower_sessions::Session;
use uuid::Uuid;

const USER_ID_KEY: &str = "user_id";

pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>()
        .ok_or_else(|| anyhow::anyhow!("AppState was not provided"))
        .or_internal("read app state")
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))
        .or_internal("read session")
}

/// The address the request came from, for per-address abuse limits: the TCP peer's, or when
/// the peer is the trusted proxy (`PAYDESK_TRUSTED_PROXY`) the client it names in
/// `X-Forwarded-For`. `None` outside a request.
pub async fn client_address() -> Option<std::net::IpAddr> {
    let trusted = use_context::<AppState>().and_then(|state| state.limits.trusted_proxy);
    let axum::extract::ConnectInfo(peer) =
        leptos_axum::extract::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .await
            .ok()?;
    if trusted != Some(peer.ip()) {
        return Some(peer.ip());
    }
    let headers = leptos_axum::extract::<http::HeaderMap>().await.ok()?;
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>();
    crate::server::limits::forwarded_client(forwarded.into_iter()).or(Some(peer.ip()))
}

/// The signed-in user, read fresh from the database so a removed account or a changed role
/// takes effect on the next request.
pub async fn current_user() -> Result<Option<CurrentUser>, AppError> {
    // Context is read before the first await: during server rendering a resource's future
    // can outlive the owner that provided it.
    let state = app_state()?;
    let session = session().await?;
    user_of_session(&state.pool, &session).await
}

/// The user a session is signed in as, for plain axum routes that take the `Session`.
pub async fn user_of_session(
    pool: &sqlx::PgPool,
    session: &Session,
) -> Result<Option<CurrentUser>, AppError> {
    let Some(id) = session
        .get::<Uuid>(USER_ID_KEY)
        .await
        .or_internal("read session user")?
    else {
        return Ok(None);
    };
    db::users::find(pool, id)
        .await
        .or_internal("load session user")
}

pub async fn require_user() -> Result<CurrentUser, AppError> {
    current_user().await?.ok_or_else(AppError::sign_in_required)
}

pub async fn require_role(role: Role) -> Result<CurrentUser, AppError> {
    let user = require_user().await?;
    if user.role == role {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}

/// The signed-in admin and the app state: where every console server function starts.
pub async fn require_admin() -> Result<(CurrentUser, AppState), AppError> {
    let state = app_state()?;
    let user = require_role(Role::Admin).await?;
    Ok((user, state))
}

/// The signed-in member and the app state: where every member billing function starts.
pub async fn require_member() -> Result<(CurrentUser, AppState), AppError> {
    let state = app_state()?;
    let user = require_role(Role::Member).await?;
    Ok((user, state))
}

/// Starts a fresh session for `user`. The id is cycled so a session id planted before sign-in
/// is worthless after it.
pub async fn start_session(user: &CurrentUser) -> Result<(), AppError> {
    let session = session().await?;
    session.cycle_id().await.or_internal("cycle session id")?;
    session
        .insert(USER_ID_KEY, user.id)
        .await
        .or_internal("store session user")
}

pub async fn end_session() -> Result<(), AppError> {
    session().await?.flush().await.or_internal("end session")
}

/// Gives a failed server function the HTTP status its error stands for (401, 403, 400...).
/// Every server function passes its result through here.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(err) = &result {
        if let Some(options) = use_context::<ResponseOptions>() {
            let status = http::StatusCode::from_u16(err.status_code())
                .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
            options.set_status(status);
        }
    }
    result
}
