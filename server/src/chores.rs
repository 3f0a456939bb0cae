//! Operator commands: `paydesk secrets rotate`, `paydesk stripe import`,
//! `paydesk events reprocess --failed` and `paydesk reconcile`.

use crate::config::{Config, MasterKey};
use crate::startup;
use anyhow::{Context, Result};
use app::model::StripeMode;
use app::server::billing::settings::{rotate_master_key, SettingsContext};
use app::server::billing::{catalog, events};
use app::server::crypto::SecretCipher;
use app::server::db::audit::{self, Actor};
use secrecy::ExposeSecret;
use sqlx::PgPool;
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

/// The database and the key that opens stored secrets, as every Stripe chore needs them.
async fn open(config: &Config) -> Result<(PgPool, SecretCipher)> {
    let cipher = SecretCipher::new(config.require_master_key()?.bytes());
    let pool = startup::connect(config.require_database_url()?.expose_secret()).await?;
    startup::migrate(&pool).await?;
    Ok((pool, cipher))
}

fn settings<'a>(
    config: &'a Config,
    pool: &'a PgPool,
    cipher: &'a SecretCipher,
) -> SettingsContext<'a> {
    SettingsContext {
        pool,
        cipher,
        env: &config.stripe,
        public_url: &config.public_url,
    }
}

/// The event worker alone, until Ctrl-C or SIGTERM; it polls, since no webhook rings it.
pub async fn run_worker(config: &Config) -> Result<()> {
    let pool = startup::connect(config.require_database_url()?.expose_secret()).await?;
    startup::migrate(&pool).await?;
    let state = startup::app_state(config, pool)?;
    tracing::info!("Paydesk event worker is running");
    let never_rung = std::sync::Arc::new(tokio::sync::Notify::new());
    // PAYDESK_EVENT_WORKER=off is meant for the servers; a worker process always works.
    let tasks = match config.event_workers {
        0 => crate::config::DEFAULT_EVENT_WORKERS,
        n => n,
    };
    tokio::select! {
        () = crate::worker::run_many(state, never_rung, tasks) => Ok(()),
        () = startup::shutdown_signal() => Ok(()),
    }
}

/// Queues every failed Stripe event again and applies what is due now.
pub async fn reprocess_failed_events(config: &Config) -> Result<()> {
    let (pool, cipher) = open(config).await?;
    let queued = app::server::db::events::replay_failed(&pool).await?;
    let report = events::drain(&settings(config, &pool, &cipher)).await?;
    audit::record(
        &pool,
        &CLI_ACTOR,
        "events.reprocessed",
        "stripe_events",
        serde_json::json!({ "queued": queued }),
    )
    .await?;
    println!(
        "Queued {queued} failed event(s): {} applied, {} ignored, {} will retry, {} failed again.",
        report.processed, report.ignored, report.retrying, report.failed
    );
    Ok(())
}

/// Compares every Stripe subscription and invoice of the current mode with Paydesk's copy
/// and stores Stripe's where they differ (`--dry-run`: only reports).
pub async fn reconcile(config: &Config, dry_run: bool) -> Result<()> {
    let (pool, cipher) = open(config).await?;
    let mode = app::server::db::settings::current_mode(&pool).await?;
    let mode = StripeMode::parse(&mode).unwrap_or_default();
    let report = events::reconcile::reconcile(&settings(config, &pool, &cipher), mode, !dry_run)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    for (id, differences) in &report.drifted {
        let fields: Vec<&str> = differences.iter().map(|d| d.field.as_str()).collect();
        println!("  {id}: {}", fields.join(", "));
    }
    if !dry_run {
        audit::record(
            &pool,
            &CLI_ACTOR,
            "stripe.reconciled",
            mode.as_str(),
            serde_json::json!({ "checked": report.checked, "fixed": report.drifted.len() }),
        )
        .await?;
    }
    println!(
        "Checked {} object(s) in {} mode; {} differed from Stripe{}.",
        report.checked,
        mode.as_str(),
        report.drifted.len(),
        if dry_run {
            " (not changed: --dry-run)"
        } else {
            " and now match it"
        }
    );
    Ok(())
}

/// Links every product and price of the configured Stripe account, with a progress bar.
pub async fn stripe_import(config: &Config) -> Result<()> {
    let (pool, cipher) = open(config).await?;
    let settings = settings(config, &pool, &cipher);
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
