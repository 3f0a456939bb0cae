//! The payment platform settings as the admin console sees them, and the rules for the keys
//! typed into it. Secret values never appear in these types: only their masked hints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum StripeMode {
    #[default]
    Test,
    Live,
}

impl StripeMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Test => "test",
            Self::Live => "live",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "test" => Some(Self::Test),
            "live" => Some(Self::Live),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Test => "Test",
            Self::Live => "Live",
        }
    }

    /// The mode a Stripe key belongs to, read from its prefix (`sk_test_...`, `pk_live_...`).
    pub fn of_key(key: &str) -> Option<Self> {
        let rest = key.split_once('_')?.1;
        if rest.starts_with("test_") {
            Some(Self::Test)
        } else if rest.starts_with("live_") {
            Some(Self::Live)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TaxBehavior {
    /// Charge without collecting tax details (the default, as in the seeds).
    #[default]
    Bypass,
    /// Members must give a billing address before paying, so tax can be computed.
    RequireBillingAddress,
}

impl TaxBehavior {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bypass => "bypass",
            Self::RequireBillingAddress => "require_billing_address",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "bypass" => Some(Self::Bypass),
            "require_billing_address" => Some(Self::RequireBillingAddress),
            _ => None,
        }
    }
}

/// One key of one mode as the form shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct KeyField {
    /// The full value for a publishable key; `sk_test_...abcd` for a secret.
    pub shown: Option<String>,
    /// Set from `STRIPE_*` in the environment, which overrides the form.
    pub from_env: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ModeKeys {
    pub publishable_key: KeyField,
    pub secret_key: KeyField,
    pub webhook_secret: KeyField,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StripeSettingsView {
    pub enabled: bool,
    pub mode: StripeMode,
    pub test: ModeKeys,
    pub live: ModeKeys,
    pub automatic_tax: bool,
    pub tax_id_collection: bool,
    pub use_stripe_invoice_pdf: bool,
    pub tax_behavior: TaxBehavior,
    pub api_base: String,
    pub api_base_from_env: bool,
    /// The bases the form may choose from: Stripe's own, then `PAYDESK_STRIPE_API_BASES`.
    pub api_base_choices: Vec<String>,
    /// Where Stripe must send events, and which ones, for setting the endpoint up by hand.
    pub webhook_url: String,
    pub webhook_events: Vec<String>,
    pub updated_at: DateTime<Utc>,
}

impl StripeSettingsView {
    pub fn keys(&self, mode: StripeMode) -> &ModeKeys {
        match mode {
            StripeMode::Test => &self.test,
            StripeMode::Live => &self.live,
        }
    }
}

/// What the settings form posts. Empty key fields keep the stored value, so secrets never
/// need to travel back to the browser to be preserved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct StripeSettingsForm {
    pub enabled: bool,
    pub mode: String,
    #[serde(default)]
    pub test_publishable_key: String,
    #[serde(default)]
    pub test_secret_key: String,
    #[serde(default)]
    pub test_webhook_secret: String,
    #[serde(default)]
    pub live_publishable_key: String,
    #[serde(default)]
    pub live_secret_key: String,
    #[serde(default)]
    pub live_webhook_secret: String,
    pub automatic_tax: bool,
    pub tax_id_collection: bool,
    pub use_stripe_invoice_pdf: bool,
    pub tax_behavior: String,
    #[serde(default)]
    pub api_base: String,
}

/// The Debug derive would print secrets; this one prints which fields are filled in.
impl StripeSettingsForm {
    pub fn redacted(&self) -> String {
        let filled = |s: &str| if s.is_empty() { "-" } else { "set" };
        format!(
            "mode={} test_sk={} test_whsec={} live_sk={} live_whsec={}",
            self.mode,
            filled(&self.test_secret_key),
            filled(&self.test_webhook_secret),
            filled(&self.live_secret_key),
            filled(&self.live_webhook_secret)
        )
    }
}

/// What "Verify connection" found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionReport {
    /// `None` when the key may not read the account (a restricted key, say).
    pub account: Option<AccountSummary>,
    pub mode: StripeMode,
    pub api_base: String,
    pub products: Vec<RemoteProductSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSummary {
    pub id: String,
    /// The business or dashboard name, when the account has one.
    pub name: Option<String>,
    pub email: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteProductSummary {
    pub id: String,
    pub name: String,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookRegistration {
    pub endpoint_id: String,
    pub url: String,
    pub events: Vec<String>,
    pub secret_hint: String,
}

/// Which of a mode's keys a value was typed into, for messages and validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Publishable,
    Secret,
    WebhookSecret,
}

impl KeyKind {
    fn label(self) -> &'static str {
        match self {
            Self::Publishable => "publishable key",
            Self::Secret => "secret key",
            Self::WebhookSecret => "webhook signing secret",
        }
    }
}

/// Checks a key typed into `mode`'s `kind` slot, returning it trimmed. The messages say what
/// is expected, since a key pasted into the wrong box is the usual mistake.
pub fn validate_key(mode: StripeMode, kind: KeyKind, raw: &str) -> Result<String, String> {
    let key = raw.trim();
    let m = mode.as_str();
    let prefixes: Vec<String> = match kind {
        KeyKind::Publishable => vec![format!("pk_{m}_")],
        KeyKind::Secret => vec![format!("sk_{m}_"), format!("rk_{m}_")],
        KeyKind::WebhookSecret => vec!["whsec_".to_owned()],
    };
    let label = kind.label();
    let Some(body) = prefixes.iter().find_map(|p| key.strip_prefix(p.as_str())) else {
        if kind != KeyKind::WebhookSecret && StripeMode::of_key(key).is_some_and(|k| k != mode) {
            return Err(format!(
                "This is a {} key; the {} {label} must start with {}.",
                StripeMode::of_key(key)
                    .map(StripeMode::as_str)
                    .unwrap_or(""),
                m,
                prefixes.join(" or ")
            ));
        }
        return Err(format!(
            "A {m} {label} starts with {}.",
            prefixes.join(" or ")
        ));
    };
    if body.len() < 8 || !body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(format!(
            "That does not look like a whole {label}: copy it again from the Stripe dashboard."
        ));
    }
    Ok(key.to_owned())
}

/// `sk_test_...abcd`: enough to recognise a key, too little to use it.
pub fn mask_key(key: &str) -> String {
    let prefix_end = key
        .match_indices('_')
        .nth(if key.starts_with("whsec_") { 0 } else { 1 })
        .map(|(i, _)| i + 1)
        .unwrap_or(0);
    let tail: String = key
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{}...{}", &key[..prefix_end], tail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use KeyKind::*;
    use StripeMode::*;

    #[test]
    fn keys_must_match_their_kind_and_mode() {
        let cases = [
            (Test, Publishable, "pk_test_51Habcdefgh", true),
            (Live, Publishable, "pk_live_51Habcdefgh", true),
            (Test, Secret, "sk_test_51Habcdefgh", true),
            (Test, Secret, "rk_test_51Habcdefgh", true),
            (Live, Secret, "sk_live_51Habcdefgh", true),
            (Test, WebhookSecret, "whsec_abcdefgh1234", true),
            (Live, WebhookSecret, "whsec_abcdefgh1234", true),
            (Live, Secret, "sk_test_51Habcdefgh", false),
            (Live, Publishable, "pk_test_51Habcdefgh", false),
            (Test, Secret, "sk_live_51Habcdefgh", false),
            (Test, Secret, "pk_test_51Habcdefgh", false),
            (Test, Publishable, "sk_test_51Habcdefgh", false),
            (Test, WebhookSecret, "sk_test_51Habcdefgh", false),
            (Test, Secret, "sk_test_", false),
            (Test, Secret, "sk_test_abc def ghij", false),
            (Test, Secret, "", false),
        ];
        for (mode, kind, key, ok) in cases {
            assert_eq!(
                validate_key(mode, kind, key).is_ok(),
                ok,
                "{mode:?} {kind:?} {key:?}"
            );
        }
    }

    #[test]
    fn a_test_key_in_the_live_slot_is_named_as_such() {
        let err = validate_key(Live, Secret, "sk_test_51Habcdefgh").expect_err("refused");
        assert_eq!(
            err,
            "This is a test key; the live secret key must start with sk_live_ or rk_live_."
        );
    }

    #[test]
    fn keys_are_trimmed() {
        assert_eq!(
            validate_key(Test, Secret, "  sk_test_51Habcdefgh\n"),
            Ok("sk_test_51Habcdefgh".to_owned())
        );
    }

    #[test]
    fn masks_keep_the_prefix_and_last_four() {
        assert_eq!(mask_key("sk_test_51Habcdefgh"), "sk_test_...efgh");
        assert_eq!(mask_key("rk_live_51Habcdefgh"), "rk_live_...efgh");
        assert_eq!(mask_key("whsec_abcdefgh1234"), "whsec_...1234");
    }

    #[test]
    fn key_modes_come_from_prefixes() {
        assert_eq!(StripeMode::of_key("sk_live_x"), Some(Live));
        assert_eq!(StripeMode::of_key("pk_test_x"), Some(Test));
        assert_eq!(StripeMode::of_key("whsec_x"), None);
    }
}
