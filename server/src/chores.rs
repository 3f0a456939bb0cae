//! Operator commands: `paydesk secrets rotate` and `paydesk stripe import`.

use crate::config::{Config, MasterKey};
use crate::startup;
use anyhow::{Context, Result};
use app::server::billing::catalog;
use app::server::billing::settings::{rotate_master_key, SettingsContext};
use app::server::crypto::SecretCipher;
use app::server::db::audit::{self, Actor};
use secrecy::ExposeSecret;
use std::io::Write;

const CLI_ACTOR: Actor<'static> = Actor {
    id: None,
    email: "paydesk cli",
};

/// Re-encrypts every stored secret from PAYDESK_MASTER_KEY to PAYDESK_NEW_MASTER_KEY.
pub async fn rotate_secrets(config: &Config) -> Result<()> {
    let old = SecretCipher::new(config.require_master_key()?.bytes());
    let raw = std::env::var("PAYDESK_NEW_MASTER_KEY").context(
        "PAYDESK_NEW_MASTER_KEY is not set (generate one with `openssl rand -base64 32`)",
    )?;
    let new = SecretCipher::new(MasterKey::parse_base64(&raw)?.bytes());
    let pool = startup::connect(config.require_database_url()?.expose_secret()).await?;
    startup::migrate(&pool).await?;
    let count = rotate_master_key(&pool, &old, &new)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    audit::record(
        &pool,
        &CLI_ACTOR,
        "secrets.rotated",
        "stripe_settings",
        serde_json::json!({ "secrets": count }),
    )
    .await?;
    println!("Re-encrypted {count} secret(s). Set PAYDESK_MASTER_KEY to the new key and restart.");
    Ok(())
}

/// Links every product and price of the configured Stripe account, with a progress bar.
pub async fn stripe_import(config: &Config) -> Result<()> {
    let cipher = SecretCipher::new(config.require_master_key()?.bytes());
    let pool = startup::connect(config.require_database_url()?.expose_secret()).await?;
    startup::migrate(&pool).await?;
    let settings = SettingsContext {
        pool: &pool,
        cipher: &cipher,
        env: &config.stripe,
        public_url: &config.public_url,
    };
    let api = settings
        .stripe()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let report = catalog::import_all_with_progress(&pool, &api, |done, total, name| {
        let width = 30;
        let filled = (done * width).checked_div(total).unwrap_or(width);
        eprint!(
            "\r[{}{}] {done}/{total} {name:<40.40}",
            "#".repeat(filled),
            " ".repeat(width - filled)
        );
        let _ = std::io::stderr().flush();
    })
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    eprintln!();
    audit::record(
        &pool,
        &CLI_ACTOR,
        "catalog.imported",
        "stripe",
        serde_json::json!({
            "products_created": report.products_created,
            "prices_linked": report.prices_linked,
        }),
    )
    .await?;
    println!(
        "Imported {} product(s), linked {} price(s).",
        report.products_created.len(),
        report.prices_linked
    );
    for skipped in &report.skipped {
        println!("  skipped {skipped}");
    }
    Ok(())
}
