//! Argon2id password hashing. Hashing is deliberately slow, so it runs on the blocking pool.

use crate::model::{AppError, Password};
use crate::server::error::OrInternal;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::{Argon2, PasswordVerifier};
use std::sync::OnceLock;

pub async fn hash(password: &Password) -> Result<String, AppError> {
    let password = password.expose().to_owned();
    tokio::task::spawn_blocking(move || hash_blocking(&password))
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
    tokio::task::spawn_blocking(move || {
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
