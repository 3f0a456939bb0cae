//! The backend proper (ssr only): rules, SQL, and the request context server functions use.
//! Nothing here imports UI code.

pub mod accounts;
pub mod billing;
pub mod context;
pub mod crypto;
pub mod db;
pub mod error;
pub mod limits;
pub mod page_headers;
pub mod passwords;
pub mod pdf;
pub mod redirect;
pub mod stripe;
pub mod webhooks;

use crate::model::AppError;
use billing::access::AccessRules;
use billing::settings::{SettingsContext, StripeEnv};
use crypto::SecretCipher;
use error::OrInternal;
use sqlx::PgPool;
use std::sync::Arc;

/// What every server function and route can reach. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    pub pool: PgPool,
    pub cipher: SecretCipher,
    pub stripe_env: Arc<StripeEnv>,
    /// Where users reach Paydesk (webhook URLs are built from it).
    pub public_url: Arc<str>,
    pub access: AccessRules,
    pub limits: limits::Limits,
}

impl AppState {
    pub fn settings(&self) -> SettingsContext<'_> {
        SettingsContext {
            pool: &self.pool,
            cipher: &self.cipher,
            env: &self.stripe_env,
            public_url: &self.public_url,
        }
    }

    /// The Stripe mode the console and member pages work in ("test" or "live").
    pub async fn mode(&self) -> Result<String, AppError> {
        db::settings::current_mode(&self.pool)
            .await
            .or_internal("read stripe mode")
    }
}
