//! How an emulator instance is set up. Everything has a default so `EmulatorConfig::default()`
//! is a working fake with one fixed test key.

use std::time::Duration;

/// The key accepted when none is configured. Fixed, so a demo and its docs can name it.
pub const DEFAULT_SECRET_KEY: &str = "sk_test_emulator_4eC39HqLyjWDarjtT1zdp7dc";

#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Secret keys accepted as `Authorization: Bearer ...`; any other key is a 401.
    pub api_keys: Vec<String>,
    /// Base URL used in links the emulator hands out (Checkout `url`, invoice URLs). When `None`,
    /// the address it was bound to (with [`crate::spawn`]) or the request's `Host` header is used.
    pub public_url: Option<String>,
    /// The "Stripe Tax" switch: when off, `automatic_tax[enabled]=true` fails as Stripe does on an
    /// account without Tax.
    pub tax_enabled: bool,
    pub webhooks: WebhookConfig,
    /// The control API (`/_emulator/...`) answers only requests with one of `api_keys`: for an
    /// emulator that others on the machine can reach, such as the demo's.
    pub control_needs_key: bool,
}

#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Per-attempt timeout; a slower endpoint counts as failed and is retried.
    pub timeout: Duration,
    /// Attempts per event and endpoint, the first included.
    pub max_attempts: u32,
    /// Wait before the second attempt; doubled for each further one. Stripe waits hours; tests cannot.
    pub initial_backoff: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            timeout: Duration::from_secs(10),
            max_attempts: 5,
            initial_backoff: Duration::from_millis(500),
        }
    }
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            api_keys: vec![DEFAULT_SECRET_KEY.to_owned()],
            public_url: None,
            tax_enabled: true,
            webhooks: WebhookConfig::default(),
            control_needs_key: false,
        }
    }
}

impl EmulatorConfig {
    /// A config accepting one freshly generated key, for a demo that should not share keys.
    pub fn with_generated_key() -> Self {
        EmulatorConfig {
            api_keys: vec![format!("sk_test_{}", crate::ids::random_tail(40))],
            ..Self::default()
        }
    }

    /// The first accepted key, the one to hand to a client.
    pub fn secret_key(&self) -> &str {
        self.api_keys
            .first()
            .map(String::as_str)
            .unwrap_or(DEFAULT_SECRET_KEY)
    }
}
