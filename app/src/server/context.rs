//! What a server function needs from its request: the app state, the session, and the
//! signed-in user, with the role checks every server function makes.

use crate::model::{AppError, CurrentUser, Role};
use crate::server::db;
use crate::server::error::OrInternal;
use crate::server::AppState;
use chrono::{DateTime, Utc};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use tower_sessions::Session;
use uuid::Uuid;

const USER_ID_KEY: &str = "user_id";
/// When the session signed in; with the idle expiry (the cookie's) this bounds its whole life.
const SIGNED_IN_AT_KEY: &str = "signed_in_at";

/// The longest a session lives however busy it is, by role: the console can refund money.
fn absolute_lifetime(role: Role) -> chrono::Duration {
    match role {
        Role::Admin => chrono::Duration::hours(12),
        Role::Member => chrono::Duration::days(14),
    }
}

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

/// The user a session is signed in as, for plain axum routes that take the `Session`. A
/// session past its absolute lifetime, or signed in before the user's sessions were revoked
/// ("sign out everywhere", an admin removed), is ended here.
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
    let signed_in_at = session
        .get::<DateTime<Utc>>(SIGNED_IN_AT_KEY)
        .await
        .or_internal("read session start")?;
    let Some((user, revoked_at)) = db::users::find_signed_in(pool, id)
        .await
        .or_internal("load session user")?
    else {
        return Ok(None);
    };
    if !session_is_current(user.role, signed_in_at, revoked_at, Utc::now()) {
        session.flush().await.or_internal("end expired session")?;
        return Ok(None);
    }
    Ok(Some(user))
}

/// Whether a session that signed in at `signed_in_at` may still act: within the role's
/// absolute lifetime and after the last revocation. A session without a start (made before
/// Paydesk recorded one) is not.
fn session_is_current(
    role: Role,
    signed_in_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    signed_in_at.is_some_and(|start| {
        now - start < absolute_lifetime(role) && revoked_at.is_none_or(|revoked| start > revoked)
    })
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
        .insert(SIGNED_IN_AT_KEY, Utc::now())
        .await
        .or_internal("store session start")?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn sessions_end_at_their_absolute_lifetime_however_busy() {
        let start = Utc::now();
        let current = |role, now| session_is_current(role, Some(start), None, now);
        assert!(current(Role::Member, start + Duration::days(13)));
        assert!(!current(Role::Member, start + Duration::days(14)));
        assert!(current(Role::Admin, start + Duration::hours(11)));
        assert!(!current(Role::Admin, start + Duration::hours(12)));
    }

    #[test]
    fn sessions_signed_in_before_a_revocation_or_without_a_start_are_over() {
        let start = Utc::now();
        let now = start + Duration::minutes(1);
        let revoked = |at| session_is_current(Role::Member, Some(start), Some(at), now);
        assert!(!revoked(start + Duration::seconds(1)));
        assert!(!revoked(start));
        assert!(revoked(start - Duration::seconds(1)));
        assert!(!session_is_current(Role::Member, None, None, now));
    }
}
