//! Accounts: sign-up, sign-in with a failure throttle, and admin creation.

use crate::model::{AppError, CurrentUser, EmailAddress, Password, Role, SignUp};
use crate::server::db;
use crate::server::error::OrInternal;
use crate::server::passwords;
use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;

/// Failures allowed before each further attempt has to wait.
const FREE_FAILURES: i32 = 5;
/// The longest wait between attempts once throttled.
const MAX_DELAY_SECS: i64 = 300;
/// A quiet spell this long forgets earlier failures.
const FAILURE_MEMORY_MINUTES: i64 = 15;

pub async fn sign_up(pool: &PgPool, form: SignUp) -> Result<CurrentUser, AppError> {
    let hash = passwords::hash(&form.password).await?;
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
/// repeated failures for one address are slowed down whether or not it has an account.
pub async fn log_in(pool: &PgPool, email: &str, password: String) -> Result<CurrentUser, AppError> {
    let wrong = || AppError::Unauthorized("The email or password is incorrect.".into());
    let Ok(email) = EmailAddress::parse(email) else {
        return Err(wrong());
    };
    let now = Utc::now();
    if let Some(wait) = throttle_wait(pool, &email, now).await? {
        return Err(AppError::TooManyRequests(format!(
            "Too many failed sign-in attempts. Try again in {wait} seconds."
        )));
    }
    let account = db::users::find_credentials(pool, &email)
        .await
        .or_internal("load credentials")?;
    let stored = account.as_ref().map(|(_, hash)| hash.clone());
    if !passwords::verify(password, stored).await? {
        db::login_failures::record(pool, email.as_str())
            .await
            .or_internal("record login failure")?;
        return Err(wrong());
    }
    db::login_failures::clear(pool, email.as_str())
        .await
        .or_internal("clear login failures")?;
    account.map(|(user, _)| user).ok_or_else(wrong)
}

/// Seconds to wait before the next attempt may be checked, if any.
async fn throttle_wait(
    pool: &PgPool,
    email: &EmailAddress,
    now: DateTime<Utc>,
) -> Result<Option<i64>, AppError> {
    let Some((failures, last)) = db::login_failures::get(pool, email.as_str())
        .await
        .or_internal("load login failures")?
    else {
        return Ok(None);
    };
    Ok(required_wait(failures, last, now))
}

/// The throttle's policy, apart from storage: free attempts first, then a delay that doubles
/// with each failure up to [`MAX_DELAY_SECS`].
pub fn required_wait(failures: i32, last: DateTime<Utc>, now: DateTime<Utc>) -> Option<i64> {
    if now - last > Duration::minutes(FAILURE_MEMORY_MINUTES) || failures < FREE_FAILURES {
        return None;
    }
    let exponent = (failures - FREE_FAILURES).min(16) as u32;
    let delay = 2i64.pow(exponent).min(MAX_DELAY_SECS);
    let remaining = delay - (now - last).num_seconds();
    (remaining > 0).then_some(remaining)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_failures_cost_nothing() {
        let now = Utc::now();
        assert_eq!(required_wait(FREE_FAILURES - 1, now, now), None);
    }

    #[test]
    fn delays_double_and_are_capped() {
        let now = Utc::now();
        assert_eq!(required_wait(FREE_FAILURES, now, now), Some(1));
        assert_eq!(required_wait(FREE_FAILURES + 3, now, now), Some(8));
        assert_eq!(
            required_wait(FREE_FAILURES + 30, now, now),
            Some(MAX_DELAY_SECS)
        );
    }

    #[test]
    fn waiting_out_the_delay_or_a_quiet_spell_clears_the_throttle() {
        let last = Utc::now();
        assert_eq!(
            required_wait(FREE_FAILURES + 3, last, last + Duration::seconds(9)),
            None
        );
        let later = last + Duration::minutes(FAILURE_MEMORY_MINUTES + 1);
        assert_eq!(required_wait(FREE_FAILURES + 30, last, later), None);
    }
}
