//! Argon2id password hashing. Hashing is deliberately slow, so it runs on the blocking pool,
//! and takes 19 MiB, so only a few run at once: a flood of sign-ins or sign-ups waits for a
//! slot (at most a bounded time, then "busy") instead of growing the blocking pool to hundreds
//! of threads and gigabytes.

use crate::model::{AppError, Password};
use crate::server::error::OrInternal;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::{Argon2, PasswordVerifier};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};

/// How long callers without a limit of their own wait for a hashing slot.
const DEFAULT_WAIT: Duration = Duration::from_secs(10);

/// Hashes at once in this process: one per core, at least 2 and at most 4 (76 MiB).
pub fn hash_slots() -> usize {
    static SLOTS: OnceLock<usize> = OnceLock::new();
    *SLOTS.get_or_init(|| {
        std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .clamp(2, 4)
    })
}

/// The most hashes that run at once: the shared slots and the priority one.
pub fn max_concurrent_hashes() -> usize {
    hash_slots() + 1
}

fn slots() -> &'static Semaphore {
    static SEMAPHORE: OnceLock<Semaphore> = OnceLock::new();
    SEMAPHORE.get_or_init(|| Semaphore::new(hash_slots()))
}

/// One slot only priority checks may take besides the shared ones: under a flood the shared
/// queue is always full, and the owner signing in from a clean address must not wait behind it.
fn priority_slot() -> &'static Semaphore {
    static SEMAPHORE: Semaphore = Semaphore::const_new(1);
    &SEMAPHORE
}

/// Which slots a password check may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// Sign-ups, invitations, and sign-ins from addresses with failures.
    Shared,
    /// A sign-in from an address with no failure in the window (`limits::SignInCharge`).
    Priority,
}

static RUNNING: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The most hashes that ever ran at once in this process.
pub fn peak_concurrent_hashes() -> usize {
    PEAK.load(Ordering::Relaxed)
}

/// A hashing slot, held while one hash runs.
struct Slot {
    _permit: SemaphorePermit<'static>,
}

impl Slot {
    /// Waits up to `wait` for a slot (`Duration::ZERO`: only takes a free one).
    async fn take(wait: Duration, lane: Lane) -> Result<Self, AppError> {
        let busy = || {
            AppError::TooManyRequests("We are busy right now. Please try again in a moment.".into())
        };
        let permit = match lane {
            _ if wait.is_zero() => slots().try_acquire().map_err(|_| busy())?,
            Lane::Shared => tokio::time::timeout(wait, slots().acquire())
                .await
                .map_err(|_| busy())?
                .or_internal("hashing slots closed")?,
            Lane::Priority => tokio::time::timeout(wait, async {
                tokio::select! {
                    permit = priority_slot().acquire() => permit,
                    permit = slots().acquire() => permit,
                }
            })
            .await
            .map_err(|_| busy())?
            .or_internal("hashing slots closed")?,
        };
        let running = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
        PEAK.fetch_max(running, Ordering::SeqCst);
        Ok(Self { _permit: permit })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        RUNNING.fetch_sub(1, Ordering::SeqCst);
    }
}

pub async fn hash(password: &Password) -> Result<String, AppError> {
    hash_within(password, DEFAULT_WAIT).await
}

/// Hashes once a slot is free, waiting at most `wait`.
pub async fn hash_within(password: &Password, wait: Duration) -> Result<String, AppError> {
    let password = password.expose().to_owned();
    let slot = Slot::take(wait, Lane::Shared).await?;
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        hash_blocking(&password)
    })
    .await
    .or_internal("join password hashing")?
}

fn hash_blocking(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))
        .or_internal("hash password")
}

/// Checks `password` against `stored`, or against a fixed dummy hash when there is no account,
/// so that a missing account takes as long to refuse as a wrong password.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, AppError> {
    verify_within(password, stored, DEFAULT_WAIT, Lane::Shared).await
}

/// [`verify`] once a slot of `lane` is free, waiting at most `wait`.
pub async fn verify_within(
    password: String,
    stored: Option<String>,
    wait: Duration,
    lane: Lane,
) -> Result<bool, AppError> {
    let slot = Slot::take(wait, lane).await?;
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let dummy = dummy_hash();
        let stored_hash = stored.as_deref().unwrap_or(dummy);
        let parsed = PasswordHash::new(stored_hash)
            .map_err(|e| anyhow::anyhow!("stored hash unreadable: {e}"))
            .or_internal("parse password hash")?;
        let matches = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(matches && stored.is_some())
    })
    .await
    .or_internal("join password verification")?
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(b"no account has this password", &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}
