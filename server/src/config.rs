//! Typed configuration from the environment. Every variable is documented in `.env.example`.

use app::model::{validate_key, KeyKind, StripeMode};
use app::server::billing::access::AccessRules;
use app::server::billing::receipts::SmtpConfig;
use app::server::billing::settings::StripeEnv;
use app::server::limits::Limits;
use base64::Engine;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use std::net::SocketAddr;

/// Event worker tasks per process unless PAYDESK_EVENT_WORKER says otherwise: two apply about
/// 2,300-2,700 events/s here where one applies 1,400-1,700 (docs/benchmarks.md).
pub const DEFAULT_EVENT_WORKERS: usize = 2;
#[derive(Debug)]
pub struct Config {
    /// `None` only where the caller can bring its own database (`paydesk demo`).
    pub database_url: Option<SecretString>,
    pub addr: SocketAddr,
    pub master_key: Option<MasterKey>,
    /// `STRIPE_*` overrides of the admin console's payment settings.
    pub stripe: StripeEnv,
    /// The address users reach Paydesk at; its origin is the one mutations may come from.
    pub public_url: String,
    /// Where `cargo leptos build` put the site (WASM, JS, CSS).
    pub site_root: String,
    /// Extra paths the webhook answers on, for installs moving from another billing plugin.
    pub webhook_aliases: Vec<String>,
    /// How long a past-due subscription keeps access.
    pub access: AccessRules,
    /// How many event worker tasks `paydesk serve` runs beside the server (0: none; run
    /// `paydesk worker` processes instead).
    pub event_workers: usize,
    /// Where receipt emails go out; `None` sends none.
    pub smtp: Option<SmtpConfig>,
    /// Abuse limits' tunable numbers.
    pub limits: Limits,
}

/// The key that encrypts secrets stored in the database. Debug never shows it.
pub struct MasterKey(SecretBox<[u8; 32]>);

impl MasterKey {
    pub fn parse_base64(encoded: &str) -> Result<Self, ConfigError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| ConfigError::invalid("PAYDESK_MASTER_KEY", "is not valid base64"))?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| {
            ConfigError::invalid("PAYDESK_MASTER_KEY", "must decode to exactly 32 bytes")
        })?;
        Ok(Self(SecretBox::new(Box::new(key))))
    }

    pub fn generate_base64() -> String {
        let key: [u8; 32] = rand::random();
        base64::engine::general_purpose::STANDARD.encode(key)
    }

    pub fn bytes(&self) -> &[u8; 32] {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey([REDACTED])")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{variable} {problem}")]
pub struct ConfigError {
    variable: &'static str,
    problem: String,
}

impl ConfigError {
    fn invalid(variable: &'static str, problem: impl Into<String>) -> Self {
        Self {
            variable,
            problem: problem.into(),
        }
    }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Reads configuration through `lookup`, so tests can pass variables without touching the
    /// process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let addr = match lookup("PAYDESK_ADDR") {
            Some(raw) => raw.parse().map_err(|_| {
                ConfigError::invalid("PAYDESK_ADDR", format!("'{raw}' is not an ip:port address"))
            })?,
            None => SocketAddr::from(([127, 0, 0, 1], 3000)),
        };
        let master_key = lookup("PAYDESK_MASTER_KEY")
            .map(|raw| MasterKey::parse_base64(&raw))
            .transpose()?;
        let stripe = StripeEnv {
            secret_key: lookup("STRIPE_SECRET_KEY")
                .map(|raw| stripe_key("STRIPE_SECRET_KEY", &raw, KeyKind::Secret))
                .transpose()?
                .map(SecretString::from),
            publishable_key: lookup("STRIPE_PUBLISHABLE_KEY")
                .map(|raw| stripe_key("STRIPE_PUBLISHABLE_KEY", &raw, KeyKind::Publishable))
                .transpose()?,
            webhook_secret: lookup("STRIPE_WEBHOOK_SECRET")
                .map(|raw| stripe_key("STRIPE_WEBHOOK_SECRET", &raw, KeyKind::WebhookSecret))
                .transpose()?
                .map(SecretString::from),
            api_base: lookup("STRIPE_API_BASE")
                .map(|raw| parse_http_url("STRIPE_API_BASE", &raw))
                .transpose()?,
            allowed_api_bases: lookup("PAYDESK_STRIPE_API_BASES")
                .map(|raw| parse_origins("PAYDESK_STRIPE_API_BASES", &raw))
                .transpose()?
                .unwrap_or_default(),
        };
        let public_url = lookup("PAYDESK_PUBLIC_URL")
            .map(|raw| parse_http_url("PAYDESK_PUBLIC_URL", &raw))
            .transpose()?
            .unwrap_or_else(|| format!("http://{addr}"));
        let webhook_aliases = lookup("PAYDESK_WEBHOOK_ALIASES")
            .map(|raw| parse_webhook_aliases(&raw))
            .transpose()?
            .unwrap_or_default();
        let grace_days = match lookup("PAYDESK_PAST_DUE_GRACE_DAYS") {
            Some(raw) => raw
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|d| (0..=90).contains(d))
                .ok_or_else(|| {
                    ConfigError::invalid(
                        "PAYDESK_PAST_DUE_GRACE_DAYS",
                        format!("'{raw}' is not a whole number of days from 0 to 90"),
                    )
                })?,
            None => AccessRules::default().past_due_grace.num_days(),
        };
        let event_workers = match lookup("PAYDESK_EVENT_WORKER").as_deref().map(str::trim) {
            None | Some("on") => DEFAULT_EVENT_WORKERS,
            Some("off") => 0,
            Some(other) => match other.parse::<usize>() {
                Ok(n @ 1..=16) => n,
                _ => {
                    return Err(ConfigError::invalid(
                        "PAYDESK_EVENT_WORKER",
                        format!("'{other}' is not on, off or a number of workers from 1 to 16"),
                    ))
                }
            },
        };
        let smtp = match lookup("PAYDESK_SMTP_URL").filter(|u| !u.trim().is_empty()) {
            None => None,
            Some(url) => {
                let from = lookup("PAYDESK_MAIL_FROM").ok_or_else(|| {
                    ConfigError::invalid("PAYDESK_MAIL_FROM", "is needed with PAYDESK_SMTP_URL")
                })?;
                let from = from.parse().map_err(|_| {
                    ConfigError::invalid(
                        "PAYDESK_MAIL_FROM",
                        format!("'{from}' is not an address like Billing <billing@example.com>"),
                    )
                })?;
                if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                    // The URL may hold a password: never repeat it.
                    return Err(ConfigError::invalid(
                        "PAYDESK_SMTP_URL",
                        "must start with smtp:// or smtps://",
                    ));
                }
                Some(SmtpConfig {
                    url: SecretString::from(url),
                    from,
                })
            }
        };
        let defaults = Limits::default();
        let limits = Limits {
            sign_ups_per_address_per_hour: whole_number(
                &lookup,
                "PAYDESK_SIGNUPS_PER_ADDRESS_PER_HOUR",
                1..=100_000,
                i64::from(defaults.sign_ups_per_address_per_hour),
            )? as i32,
            member_stripe_calls_per_minute: whole_number(
                &lookup,
                "PAYDESK_MEMBER_STRIPE_CALLS_PER_MINUTE",
                1..=100_000,
                i64::from(defaults.member_stripe_calls_per_minute),
            )? as i32,
            hash_wait: std::time::Duration::from_millis(whole_number(
                &lookup,
                "PAYDESK_PASSWORD_HASH_WAIT_MS",
                0..=60_000,
                defaults.hash_wait.as_millis() as i64,
            )? as u64),
            trusted_proxy: lookup("PAYDESK_TRUSTED_PROXY")
                .filter(|raw| !raw.trim().is_empty())
                .map(|raw| {
                    raw.trim().parse().map_err(|_| {
                        ConfigError::invalid(
                            "PAYDESK_TRUSTED_PROXY",
                            format!("'{raw}' is not an IP address"),
                        )
                    })
                })
                .transpose()?,
        };
        Ok(Self {
            limits,
            smtp,
            event_workers,
            webhook_aliases,
            access: AccessRules {
                past_due_grace: chrono::Duration::days(grace_days),
            },
            database_url: lookup("DATABASE_URL").map(SecretString::from),
            addr,
            master_key,
            stripe,
            public_url,
            site_root: lookup("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".to_owned()),
        })
    }

    pub fn require_database_url(&self) -> Result<&SecretString, ConfigError> {
        self.database_url
            .as_ref()
            .ok_or_else(|| ConfigError::invalid("DATABASE_URL", "is not set"))
    }

    pub fn require_master_key(&self) -> Result<&MasterKey, ConfigError> {
        self.master_key.as_ref().ok_or_else(|| {
            ConfigError::invalid(
                "PAYDESK_MASTER_KEY",
                "is not set (generate one with `openssl rand -base64 32`)",
            )
        })
    }

    /// `scheme://host[:port]` of the public URL.
    pub fn public_origin(&self) -> String {
        origin_of(&self.public_url)
    }
}

/// A whole number from `variable` within `range`, or `default` when it is unset.
fn whole_number(
    lookup: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    range: std::ops::RangeInclusive<i64>,
    default: i64,
) -> Result<i64, ConfigError> {
    let Some(raw) = lookup(variable) else {
        return Ok(default);
    };
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            ConfigError::invalid(
                variable,
                format!(
                    "'{raw}' is not a whole number from {} to {}",
                    range.start(),
                    range.end()
                ),
            )
        })
}

/// Checks a `STRIPE_*` key with the form's rules; the mode is the key's own, and a
/// webhook secret is the same in either mode. Errors never echo the value.
fn stripe_key(variable: &'static str, raw: &str, kind: KeyKind) -> Result<String, ConfigError> {
    let mode = StripeMode::of_key(raw.trim()).unwrap_or_default();
    validate_key(mode, kind, raw).map_err(|message| ConfigError::invalid(variable, message))
}

fn parse_http_url(variable: &'static str, raw: &str) -> Result<String, ConfigError> {
    let trimmed = raw.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => {
            Ok(trimmed.to_owned())
        }
        _ => Err(ConfigError::invalid(
            variable,
            format!("'{raw}' is not an http(s) URL"),
        )),
    }
}

/// Comma-separated origins (`scheme://host[:port]`, http or https, nothing after the port): the
/// only hosts besides Stripe's that the admin console may send a secret key to, so each must be
/// exactly what the operator meant.
fn parse_origins(variable: &'static str, raw: &str) -> Result<Vec<String>, ConfigError> {
    let mut origins: Vec<String> = Vec::new();
    for item in raw.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        let origin = item.strip_suffix('/').unwrap_or(item);
        let authority = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"));
        // A host name or IPv4 address and an optional port; nothing a URL parser could read
        // two ways (user info, IPv6 brackets, a path).
        let valid = authority.is_some_and(|authority| {
            let (host, port) = match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            };
            let host_ok = !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
            let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
            host_ok && port_ok
        });
        if !valid {
            return Err(ConfigError::invalid(
                variable,
                format!("'{item}' is not an origin like http://127.0.0.1:12111 (no path)"),
            ));
        }
        let origin = origin.to_ascii_lowercase();
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    Ok(origins)
}

/// Comma-separated absolute paths (`/mixpost/payment-webhook`), none of Paydesk's own.
fn parse_webhook_aliases(raw: &str) -> Result<Vec<String>, ConfigError> {
    const VARIABLE: &str = "PAYDESK_WEBHOOK_ALIASES";
    let mut aliases = Vec::new();
    for alias in raw.split(',').map(str::trim).filter(|a| !a.is_empty()) {
        let valid = alias.starts_with('/')
            && alias.len() > 1
            && alias
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/-_.".contains(c))
            && !alias.contains("//");
        if !valid {
            return Err(ConfigError::invalid(
                VARIABLE,
                format!("'{alias}' is not a path like /mixpost/payment-webhook"),
            ));
        }
        let reserved = ["/rpc", "/pkg", "/admin", "/billing", "/healthz"];
        if alias == crate::webhook::WEBHOOK_PATH
            || reserved
                .iter()
                .any(|r| alias == *r || alias.starts_with(&format!("{r}/")))
        {
            return Err(ConfigError::invalid(
                VARIABLE,
                format!("'{alias}' is one of Paydesk's own paths"),
            ));
        }
        if !aliases.iter().any(|a| a == alias) {
            aliases.push(alias.to_owned());
        }
    }
    Ok(aliases)
}

fn origin_of(url: &str) -> String {
    let scheme_end = url.find("://").map(|i| i + 3).unwrap_or(0);
    match url[scheme_end..].find('/') {
        Some(i) => url[..scheme_end + i].to_owned(),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_serve_on_loopback_port_3000_against_real_stripe() {
        let c = config(&[]).expect("defaults are valid");
        assert_eq!(c.addr.to_string(), "127.0.0.1:3000");
        assert!(c.stripe.api_base.is_none() && c.stripe.secret_key.is_none());
        assert_eq!(c.public_origin(), "http://127.0.0.1:3000");
        assert!(c.require_database_url().is_err());
    }

    #[test]
    fn webhook_aliases_are_plain_paths_outside_paydesks_own() {
        let c = config(&[(
            "PAYDESK_WEBHOOK_ALIASES",
            "/mixpost/payment-webhook, /api/v6/integrations/stripe/web-hooks,",
        )])
        .expect("valid aliases");
        assert_eq!(
            c.webhook_aliases,
            [
                "/mixpost/payment-webhook",
                "/api/v6/integrations/stripe/web-hooks"
            ]
        );
        for bad in [
            "mixpost",
            "/a b",
            "/rpc/x",
            "/api/stripe/webhook",
            "/x//y",
            "/",
        ] {
            assert!(
                config(&[("PAYDESK_WEBHOOK_ALIASES", bad)]).is_err(),
                "{bad} was accepted"
            );
        }
    }

    #[test]
    fn the_grace_period_is_a_bounded_number_of_days() {
        assert_eq!(
            config(&[])
                .expect("default")
                .access
                .past_due_grace
                .num_days(),
            7
        );
        let c = config(&[("PAYDESK_PAST_DUE_GRACE_DAYS", "3")]).expect("valid");
        assert_eq!(c.access.past_due_grace.num_days(), 3);
        for bad in ["-1", "91", "seven"] {
            assert!(config(&[("PAYDESK_PAST_DUE_GRACE_DAYS", bad)]).is_err());
        }
    }

    #[test]
    fn master_key_must_be_32_bytes_of_base64() {
        assert!(config(&[("PAYDESK_MASTER_KEY", "not base64!")]).is_err());
        assert!(config(&[("PAYDESK_MASTER_KEY", "c2hvcnQ=")]).is_err());
        let key = MasterKey::generate_base64();
        let c = config(&[("PAYDESK_MASTER_KEY", &key)]).expect("valid key");
        assert_eq!(format!("{:?}", c.master_key), "Some(MasterKey([REDACTED]))");
    }

    #[test]
    fn database_url_never_shows_in_debug_output() {
        let c = config(&[("DATABASE_URL", "postgres://u:hunter2@db/paydesk")]).expect("valid");
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn stripe_keys_from_the_environment_are_checked_and_never_echoed() {
        let err = config(&[("STRIPE_SECRET_KEY", "pk_test_oops12345678")]).expect_err("refused");
        assert!(err.to_string().starts_with("STRIPE_SECRET_KEY"));
        assert!(!err.to_string().contains("oops"));
        let c = config(&[("STRIPE_SECRET_KEY", "sk_live_abcdefgh1234")]).expect("valid");
        assert!(!format!("{c:?}").contains("abcdefgh1234"));
    }

    #[test]
    fn urls_must_be_http_and_lose_their_trailing_slash() {
        assert!(config(&[("STRIPE_API_BASE", "ftp://x")]).is_err());
        let c =
            config(&[("PAYDESK_PUBLIC_URL", "https://billing.example.com/app/")]).expect("valid");
        assert_eq!(c.public_url, "https://billing.example.com/app");
        assert_eq!(c.public_origin(), "https://billing.example.com");
    }

    #[test]
    fn allowed_api_bases_are_exact_origins() {
        let c = config(&[(
            "PAYDESK_STRIPE_API_BASES",
            "http://127.0.0.1:12111, https://stripe-proxy.internal/,http://127.0.0.1:12111",
        )])
        .expect("valid origins");
        assert_eq!(
            c.stripe.allowed_api_bases,
            ["http://127.0.0.1:12111", "https://stripe-proxy.internal"]
        );
        assert!(config(&[])
            .expect("valid")
            .stripe
            .allowed_api_bases
            .is_empty());
        for bad in [
            "127.0.0.1:12111",
            "ftp://x",
            "http://",
            "http://x/v1",
            "http://x?y=1",
            "http://user@x",
            "http://x:port",
            "http://x:0",
            "http://a b",
        ] {
            let err = config(&[("PAYDESK_STRIPE_API_BASES", bad)]).expect_err(bad);
            assert!(err.to_string().starts_with("PAYDESK_STRIPE_API_BASES"));
        }
    }

    #[test]
    fn smtp_needs_a_from_address_and_never_echoes_its_url() {
        assert!(config(&[]).expect("valid").smtp.is_none());
        let url = "smtp://user:hunter2@mail.example.com:587";
        let missing = config(&[("PAYDESK_SMTP_URL", url)]).expect_err("needs a sender");
        assert!(missing.to_string().contains("PAYDESK_MAIL_FROM"));
        let bad = config(&[
            ("PAYDESK_SMTP_URL", "http://user:hunter2@x"),
            ("PAYDESK_MAIL_FROM", "Billing <billing@example.com>"),
        ])
        .expect_err("wrong scheme");
        assert!(!bad.to_string().contains("hunter2"));
        let ok = config(&[
            ("PAYDESK_SMTP_URL", url),
            ("PAYDESK_MAIL_FROM", "Billing <billing@example.com>"),
        ])
        .expect("valid");
        assert_eq!(
            ok.smtp.map(|s| s.from.email.to_string()).as_deref(),
            Some("billing@example.com")
        );
    }

    #[test]
    fn the_event_worker_is_on_off_or_a_number_of_tasks() {
        let workers = |raw: &str| config(&[("PAYDESK_EVENT_WORKER", raw)]).map(|c| c.event_workers);
        assert_eq!(
            config(&[]).expect("valid").event_workers,
            DEFAULT_EVENT_WORKERS
        );
        assert_eq!(workers("on").expect("on"), DEFAULT_EVENT_WORKERS);
        assert_eq!(workers("off").expect("off"), 0);
        assert_eq!(workers("4").expect("four"), 4);
        assert!(workers("0").is_err());
        assert!(workers("17").is_err());
        assert!(workers("yes").is_err());
    }
}
