//! Abuse limits: sign-in and sign-up per network address and per account, and a per-member
//! budget for requests that call Stripe.
//!
//! Counters live in Postgres (`db::rate_limits`) because several server processes share one
//! database and an attacker spreads requests over all of them; each is taken by one statement
//! that records and decides, so twenty parallel guesses are counted as twenty.
//!
//! Sign-in, in the order the gates are taken:
//! 1. per address: [`SIGN_IN_FAILURES_PER_ADDRESS`] failed sign-ins per 15 minutes;
//! 2. per account and address: [`FREE_FAILURES`] free failures, then a wait that doubles from
//!    [`FIRST_DELAY_SECS`] up to [`MAX_DELAY_SECS`]; 15 quiet minutes forget them. Keyed by the
//!    address too, so an attacker's failures never slow the owner signing in from elsewhere;
//! 3. per account: [`SIGN_IN_FAILURES_PER_ACCOUNT`] failures per 15 minutes from all addresses
//!    together caps guessing spread over many addresses. Past the cap, an address that has not
//!    failed on the account in that time still gets its one try, so the owner is not locked out
//!    by strangers (each attacking address then gets one guess per 15 minutes).
//!
//! Every attempt is counted as a failure before the password is checked (that is what makes
//! the count atomic) and given back when the password was right.

use crate::model::AppError;
use crate::server::db::rate_limits::{self, Backoff};
use crate::server::error::OrInternal;
use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;
use std::net::IpAddr;

/// Failures an account may have from one address before each further try has to wait.
pub const FREE_FAILURES: i32 = 5;
/// The first wait once throttled; it doubles with each further failure.
pub const FIRST_DELAY_SECS: i64 = 10;
/// The longest wait between tries once throttled.
pub const MAX_DELAY_SECS: i64 = 300;
/// A quiet spell this long forgets failures; also the window of the per-address and
/// per-account failure counts.
pub const FAILURE_MEMORY_MINUTES: i64 = 15;
/// Failed sign-ins one address may make (over all accounts) per window.
pub const SIGN_IN_FAILURES_PER_ADDRESS: i32 = 30;
/// Failed sign-ins one account may receive (from all addresses) per window.
pub const SIGN_IN_FAILURES_PER_ACCOUNT: i32 = 50;
/// Counters untouched this long are deleted by [`prune`]; longer than every window.
pub const FORGET_AFTER_HOURS: i64 = 24;

const SIGN_IN_ADDRESS: &str = "sign_in_address";
const SIGN_IN_ACCOUNT: &str = "sign_in_account";
const SIGN_IN_PAIR: &str = "sign_in_account_address";
const SIGN_UP_ADDRESS: &str = "sign_up_address";
const MEMBER_STRIPE: &str = "member_stripe_calls";
const MEMBER_STRIPE_POLLS: &str = "member_stripe_polls";

/// The tunable numbers, from the environment (`PAYDESK_*` in `.env.example`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// New accounts one address may create per hour.
    pub sign_ups_per_address_per_hour: i32,
    /// Stripe-calling server functions one member may run per minute.
    pub member_stripe_calls_per_minute: i32,
    /// How long a password check waits for a free hashing slot before answering "busy".
    pub hash_wait: std::time::Duration,
    /// The reverse proxy whose `X-Forwarded-For` is believed; requests from any other peer
    /// are limited by the peer's own address.
    pub trusted_proxy: Option<IpAddr>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            sign_ups_per_address_per_hour: 20,
            member_stripe_calls_per_minute: 60,
            hash_wait: std::time::Duration::from_secs(5),
            trusted_proxy: None,
        }
    }
}

/// The part of a client's address that one party controls: an IPv4 address, or an IPv6 /64
/// (one subscriber gets a whole /64). IPv4-mapped IPv6 counts as IPv4.
pub fn address_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// The client a trusted proxy names: the last address of the last `X-Forwarded-For` header,
/// the one the proxy itself appended (those before it are whatever the client sent).
pub fn forwarded_client<'a>(headers: impl DoubleEndedIterator<Item = &'a str>) -> Option<IpAddr> {
    headers.last()?.rsplit(',').next()?.trim().parse().ok()
}

/// What a sign-in attempt was charged, to give back if the password was right.
#[must_use]
pub struct SignInCharge {
    address: Option<String>,
    /// Failures counted for the address in this window, this attempt included.
    address_hits: i32,
    account: Option<String>,
    pair: String,
}

impl SignInCharge {
    /// Whether this is the address's only sign-in counted in the window: no failure of its
    /// own, so its password check may go ahead of a flood's (`passwords::Lane::Priority`).
    /// An attacker's address has that for one attempt; the owner's, every time they sign in.
    pub fn from_clean_address(&self) -> bool {
        self.address_hits <= 1
    }
}

fn window_secs(minutes: i64) -> f64 {
    (minutes * 60) as f64
}

fn pair_backoff() -> Backoff {
    Backoff {
        free: FREE_FAILURES,
        first_delay_secs: FIRST_DELAY_SECS as f64,
        max_delay_secs: MAX_DELAY_SECS as f64,
        memory_secs: window_secs(FAILURE_MEMORY_MINUTES),
    }
}

/// Charges one sign-in attempt for `email` from `address` against every limit, or says how
/// long to wait. `address` is `None` outside a request (the CLI).
pub async fn charge_sign_in(
    pool: &PgPool,
    email: &str,
    address: Option<IpAddr>,
) -> Result<SignInCharge, AppError> {
    let address = address.map(address_key);
    let window = window_secs(FAILURE_MEMORY_MINUTES);
    let mut address_hits = 0;
    if let Some(address) = &address {
        let taken = rate_limits::take_window(
            pool,
            SIGN_IN_ADDRESS,
            address,
            SIGN_IN_FAILURES_PER_ADDRESS,
            window,
        )
        .await
        .or_internal("count sign-in failures per address")?;
        let Some(hits) = taken else {
            let wait = window_wait(pool, SIGN_IN_ADDRESS, address, FAILURE_MEMORY_MINUTES).await?;
            return Err(AppError::TooManyRequests(format!(
                "Too many failed sign-ins from your network. Try again in {}.",
                minutes_text(wait)
            )));
        };
        address_hits = hits;
    }
    let pair = format!("{email} {}", address.as_deref().unwrap_or("-"));
    let pair_hits = rate_limits::take_backoff(pool, SIGN_IN_PAIR, &pair, pair_backoff())
        .await
        .or_internal("count sign-in failures per account")?;
    let Some(pair_hits) = pair_hits else {
        give_back(pool, SIGN_IN_ADDRESS, address.as_deref()).await?;
        let wait = match rate_limits::get(pool, SIGN_IN_PAIR, &pair)
            .await
            .or_internal("read sign-in failures")?
        {
            Some((hits, _, last)) => required_wait(hits, last, Utc::now()).unwrap_or(1),
            None => 1,
        };
        return Err(AppError::TooManyRequests(format!(
            "Too many failed sign-in attempts. Try again in {wait} seconds."
        )));
    };
    let account_taken = rate_limits::take_window(
        pool,
        SIGN_IN_ACCOUNT,
        email,
        SIGN_IN_FAILURES_PER_ACCOUNT,
        window,
    )
    .await
    .or_internal("count sign-in failures per account")?;
    // Past the account's cap only an address with no failure on it in this window may try.
    if account_taken.is_none() && pair_hits > 1 {
        give_back(pool, SIGN_IN_ADDRESS, address.as_deref()).await?;
        return Err(AppError::TooManyRequests(
            "Too many failed sign-in attempts for this account. Try again in a few minutes.".into(),
        ));
    }
    Ok(SignInCharge {
        address,
        address_hits,
        account: account_taken.map(|_| email.to_owned()),
        pair,
    })
}

/// The password was right: the attempt was no failure, and this address starts afresh.
pub async fn sign_in_succeeded(pool: &PgPool, charge: SignInCharge) -> Result<(), AppError> {
    give_back(pool, SIGN_IN_ADDRESS, charge.address.as_deref()).await?;
    give_back(pool, SIGN_IN_ACCOUNT, charge.account.as_deref()).await?;
    rate_limits::clear(pool, SIGN_IN_PAIR, &charge.pair)
        .await
        .or_internal("clear sign-in failures")
}

/// The password could not be checked (no hashing slot in time): the attempt was no guess.
pub async fn sign_in_unchecked(pool: &PgPool, charge: SignInCharge) -> Result<(), AppError> {
    give_back(pool, SIGN_IN_ADDRESS, charge.address.as_deref()).await?;
    give_back(pool, SIGN_IN_ACCOUNT, charge.account.as_deref()).await?;
    give_back(pool, SIGN_IN_PAIR, Some(&charge.pair)).await
}

async fn give_back(pool: &PgPool, scope: &str, key: Option<&str>) -> Result<(), AppError> {
    let Some(key) = key else { return Ok(()) };
    rate_limits::give_back(pool, scope, key)
        .await
        .or_internal("give back a sign-in attempt")
}

/// Counts one sign-up from `address`; refuses past the hourly allowance.
pub async fn charge_sign_up(
    pool: &PgPool,
    limits: &Limits,
    address: Option<IpAddr>,
) -> Result<(), AppError> {
    let Some(address) = address.map(address_key) else {
        return Ok(());
    };
    let taken = rate_limits::take_window(
        pool,
        SIGN_UP_ADDRESS,
        &address,
        limits.sign_ups_per_address_per_hour,
        window_secs(60),
    )
    .await
    .or_internal("count sign-ups per address")?;
    if taken.is_some() {
        return Ok(());
    }
    let wait = window_wait(pool, SIGN_UP_ADDRESS, &address, 60).await?;
    Err(AppError::TooManyRequests(format!(
        "Too many new accounts from your network. Try again in {}.",
        minutes_text(wait)
    )))
}

/// Which of a member's budgets a Stripe-calling server function spends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StripeBudget {
    /// What a member does or opens: [`Limits::member_stripe_calls_per_minute`].
    Actions,
    /// A page that refreshes itself each second (the Checkout success page): twice that.
    Polling,
}

/// Counts one Stripe-calling request of a member; refuses past the per-minute budget. Held
/// in Postgres, not in the process: behind a load balancer each process would otherwise grant
/// the whole budget again, and one upsert is nothing beside the Stripe call it guards.
pub async fn charge_member_stripe_call(
    pool: &PgPool,
    limits: &Limits,
    member: uuid::Uuid,
    budget: StripeBudget,
) -> Result<(), AppError> {
    let key = member.to_string();
    let (scope, limit) = match budget {
        StripeBudget::Actions => (MEMBER_STRIPE, limits.member_stripe_calls_per_minute),
        StripeBudget::Polling => (
            MEMBER_STRIPE_POLLS,
            limits.member_stripe_calls_per_minute.saturating_mul(2),
        ),
    };
    let taken = rate_limits::take_window(pool, scope, &key, limit, window_secs(1))
        .await
        .or_internal("count member Stripe calls")?;
    match taken {
        Some(_) => Ok(()),
        None => Err(AppError::TooManyRequests(
            "You are going a little fast for our payment provider. Please wait a minute and try again."
                .into(),
        )),
    }
}

/// Deletes counters idle for longer than any window; returns how many.
pub async fn prune(pool: &PgPool, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    rate_limits::prune(pool, now - Duration::hours(FORGET_AFTER_HOURS)).await
}

/// Seconds until a fixed window of `minutes` that refused a hit opens again.
async fn window_wait(pool: &PgPool, scope: &str, key: &str, minutes: i64) -> Result<i64, AppError> {
    let row = rate_limits::get(pool, scope, key)
        .await
        .or_internal("read rate limit")?;
    Ok(row.map_or(60, |(_, start, _)| {
        (start + Duration::minutes(minutes) - Utc::now())
            .num_seconds()
            .max(1)
    }))
}

fn minutes_text(secs: i64) -> String {
    match (secs + 59) / 60 {
        1 => "a minute".to_owned(),
        m => format!("{m} minutes"),
    }
}

/// The backoff's wait as the database decides it (`db::rate_limits::take_backoff`), for the
/// message: free failures first, then a delay that doubles with each failure up to
/// [`MAX_DELAY_SECS`].
pub fn required_wait(failures: i32, last: DateTime<Utc>, now: DateTime<Utc>) -> Option<i64> {
    if now - last >= Duration::minutes(FAILURE_MEMORY_MINUTES) || failures < FREE_FAILURES {
        return None;
    }
    let exponent = (failures - FREE_FAILURES).min(16) as u32;
    let delay = (FIRST_DELAY_SECS * 2i64.pow(exponent)).min(MAX_DELAY_SECS);
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
        assert_eq!(
            required_wait(FREE_FAILURES, now, now),
            Some(FIRST_DELAY_SECS)
        );
        assert_eq!(
            required_wait(FREE_FAILURES + 3, now, now),
            Some(FIRST_DELAY_SECS * 8)
        );
        assert_eq!(
            required_wait(FREE_FAILURES + 30, now, now),
            Some(MAX_DELAY_SECS)
        );
    }

    #[test]
    fn waiting_out_the_delay_or_a_quiet_spell_clears_the_throttle() {
        let last = Utc::now();
        assert_eq!(
            required_wait(FREE_FAILURES + 3, last, last + Duration::seconds(81)),
            None
        );
        let later = last + Duration::minutes(FAILURE_MEMORY_MINUTES + 1);
        assert_eq!(required_wait(FREE_FAILURES + 30, last, later), None);
    }

    #[test]
    fn only_the_address_the_proxy_appended_is_believed() {
        let one = ["203.0.113.9, 198.51.100.4"];
        assert_eq!(
            forwarded_client(one.into_iter()),
            Some("198.51.100.4".parse().expect("address"))
        );
        let two = ["6.6.6.6", "198.51.100.4"];
        assert_eq!(
            forwarded_client(two.into_iter()),
            Some("198.51.100.4".parse().expect("address"))
        );
        assert_eq!(forwarded_client(["not an address"].into_iter()), None);
        assert_eq!(forwarded_client(std::iter::empty()), None);
    }

    #[test]
    fn an_ipv6_subscriber_is_one_address_and_mapped_ipv4_is_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("address");
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().expect("address");
        assert_eq!(address_key(a), address_key(b));
        assert_eq!(address_key(a), "2001:db8:1:2::/64");
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().expect("address");
        assert_eq!(address_key(mapped), "192.0.2.7");
    }
}
