//! Typed configuration from the environment. Every variable is documented in `.env.example`.

use base64::Engine;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use std::net::SocketAddr;

pub const DEFAULT_STRIPE_API_BASE: &str = "https://api.stripe.com";

#[derive(Debug)]
pub struct Config {
    /// `None` only where the caller can bring its own database (`paydesk demo`).
    pub database_url: Option<SecretString>,
    pub addr: SocketAddr,
    pub master_key: Option<MasterKey>,
    pub stripe_api_base: String,
    /// The address users reach Paydesk at; its origin is the one mutations may come from.
    pub public_url: String,
    /// Where `cargo leptos build` put the site (WASM, JS, CSS).
    pub site_root: String,
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
        let stripe_api_base = lookup("STRIPE_API_BASE")
            .map(|raw| parse_http_url("STRIPE_API_BASE", &raw))
            .transpose()?
            .unwrap_or_else(|| DEFAULT_STRIPE_API_BASE.to_owned());
        let public_url = lookup("PAYDESK_PUBLIC_URL")
            .map(|raw| parse_http_url("PAYDESK_PUBLIC_URL", &raw))
            .transpose()?
            .unwrap_or_else(|| format!("http://{addr}"));
        Ok(Self {
            database_url: lookup("DATABASE_URL").map(SecretString::from),
            addr,
            master_key,
            stripe_api_base,
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
        assert_eq!(c.stripe_api_base, DEFAULT_STRIPE_API_BASE);
        assert_eq!(c.public_origin(), "http://127.0.0.1:3000");
        assert!(c.require_database_url().is_err());
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
    fn urls_must_be_http_and_lose_their_trailing_slash() {
        assert!(config(&[("STRIPE_API_BASE", "ftp://x")]).is_err());
        let c =
            config(&[("PAYDESK_PUBLIC_URL", "https://billing.example.com/app/")]).expect("valid");
        assert_eq!(c.public_url, "https://billing.example.com/app");
        assert_eq!(c.public_origin(), "https://billing.example.com");
    }
}
