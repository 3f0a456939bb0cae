//! Accounts: sign-up, sign-in with a failure throttle, and admin creation.

use crate::model::{AppError, CurrentUser, EmailAddress, Password, Role, SignUp};
use crate::server::context;
use crate::server::db;
use crate::server::error::OrInternal;
use crate::server::limits::{self, Limits};
use crate::server::passwords;
use sqlx::PgPool;
use std::net::IpAddr;

/// Registers a member. Inside a request, sign-ups are counted per address
/// ([`limits::charge_sign_up`]) before the password is hashed.
pub async fn sign_up(pool: &PgPool, form: SignUp) -> Result<CurrentUser, AppError> {
    let request = Caller::of_request().await;
    limits::charge_sign_up(pool, &request.limits, request.address).await?;
    let hash = passwords::hash_within(&form.password, request.limits.hash_wait).await?;
    db::users::insert(pool, &form.email, form.name.as_str(), &hash, Role::Member)
        .await
        .or_internal("insert member")?
        .ok_or_else(|| {
            AppError::Conflict("An account with this email address already exists.".into())
        })
}

/// Creates an admin, or promotes and resets the password of an existing account with that email.
pub async fn create_admin(
    pool: &PgPool,
    email: &EmailAddress,
    password: &Password,
) -> Result<CurrentUser, AppError> {
    let hash = passwords::hash(password).await?;
    let name = email.as_str().split('@').next().unwrap_or("Admin");
    db::users::upsert_admin(pool, email, name, &hash)
        .await
        .or_internal("upsert admin")
}

/// Checks credentials. The error never says whether the email or the password was wrong, and
/// repeated failures are slowed down per account and address whether or not the account
/// exists (`server::limits` has the policy).
pub async fn log_in(pool: &PgPool, email: &str, password: String) -> Result<CurrentUser, AppError> {
    let request = Caller::of_request().await;
    log_in_from(pool, &request, email, password).await
}

/// Where a request comes from, and the limits that apply to it.
pub struct Caller {
    /// `None` outside a request (the CLI, the demo's seed).
    pub address: Option<IpAddr>,
    pub limits: Limits,
}

impl Caller {
    /// Read from the server function's request, when there is one.
    pub async fn of_request() -> Self {
        let limits = leptos::prelude::use_context::<crate::server::AppState>()
            .map(|state| state.limits)
            .unwrap_or_default();
        Self {
            address: context::client_address().await,
            limits,
        }
    }
}

pub async fn log_in_from(
    pool: &PgPool,
    caller: &Caller,
    email: &str,
    password: String,
) -> Result<CurrentUser, AppError> {
    let wrong = || AppError::Unauthorized("The email or password is incorrect.".into());
    let Ok(email) = EmailAddress::parse(email) else {
        return Err(wrong());
    };
    let charge = limits::charge_sign_in(pool, email.as_str(), caller.address).await?;
    let account = db::users::find_credentials(pool, &email)
        .await
        .or_internal("load credentials")?;
    let stored = account.as_ref().map(|(_, hash)| hash.clone());
    let lane = if charge.from_clean_address() {
        passwords::Lane::Priority
    } else {
        passwords::Lane::Shared
    };
    let matches =
        match passwords::verify_within(password, stored, caller.limits.hash_wait, lane).await {
            Ok(matches) => matches,
            Err(e) => {
                // Busy: no password was checked, so nothing was guessed.
                limits::sign_in_unchecked(pool, charge).await?;
                return Err(e);
            }
        };
    if !matches {
        return Err(wrong());
    }
    let user = account.map(|(user, _)| user).ok_or_else(wrong)?;
    limits::sign_in_succeeded(pool, charge).await?;
    Ok(user)
}
