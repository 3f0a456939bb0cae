//! The demo's Stripe: the emulator in-process, with a test key kept beside the demo's data,
//! and Paydesk's settings pointed at it through the same rules the admin console uses. The
//! emulator's base reaches the console's choices through the configuration, like any base
//! an operator allows with PAYDESK_STRIPE_API_BASES.
//! Nothing outside the demo knows the emulator is not Stripe.

use anyhow::{Context, Result};
use app::model::{AppError, StripeMode, StripeSettingsForm};
use app::server::billing::catalog;
use app::server::billing::settings::{StripeEnv, DEFAULT_API_BASE};
use app::server::db::audit::Actor;
use app::server::AppState;
use rand::distributions::{Alphanumeric, DistString};
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use stripe_emulator::{EmulatorConfig, Running};

const DEMO_ACTOR: Actor<'static> = Actor {
    id: None,
    email: "paydesk demo",
};

/// Starts the emulator on `addr`, or on any free port when that one is taken.
pub async fn start(data_dir: &Path, addr: SocketAddr) -> Result<Running> {
    let key = kept_secret(&data_dir.join("stripe-emulator.key"), || {
        format!(
            "sk_test_{}",
            Alphanumeric.sample_string(&mut rand::thread_rng(), 32)
        )
    })?;
    let config = EmulatorConfig {
        api_keys: vec![key],
        control_needs_key: true,
        ..EmulatorConfig::default()
    };
    match stripe_emulator::spawn(config.clone(), addr).await {
        Ok(running) => Ok(running),
        Err(_) => stripe_emulator::spawn(config, SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .context("start the Stripe emulator"),
    }
}

/// Lets the console choose the running emulator's base, besides Stripe's and any the
/// environment already allows.
pub fn allow(env: &mut StripeEnv, running: &Running) {
    if !env.allowed_api_bases.contains(&running.base_url) {
        env.allowed_api_bases.push(running.base_url.clone());
    }
}

/// Points Paydesk's test mode at the emulator, unless an admin has since pointed it elsewhere
/// (real Stripe keys are never overwritten), re-entering the emulator's key with its base so the
/// key is bound to it (the port can change between runs), registers Paydesk's webhook endpoint with it, then
/// pushes the test catalog so the emulator, which starts empty, has every product again.
pub async fn connect(state: &AppState, running: &Running, data_dir: &Path) -> Result<bool> {
    let settings = state.settings();
    let view = settings.view().await.map_err(app_error)?;
    let url_file = data_dir.join("stripe-emulator.url");
    let last_url = std::fs::read_to_string(&url_file).unwrap_or_default();
    let untouched = view.api_base == DEFAULT_API_BASE && view.test.secret_key.shown.is_none();
    if !(untouched || view.api_base == last_url.trim()) || view.api_base_from_env {
        return Ok(false);
    }
    let key = running.emulator.secret_key().to_owned();
    let form = StripeSettingsForm {
        enabled: true,
        mode: StripeMode::Test.as_str().to_owned(),
        test_publishable_key: key.replacen("sk_test_", "pk_test_", 1),
        test_secret_key: key,
        automatic_tax: view.automatic_tax,
        tax_id_collection: view.tax_id_collection,
        use_stripe_invoice_pdf: view.use_stripe_invoice_pdf,
        tax_behavior: view.tax_behavior.as_str().to_owned(),
        api_base: running.base_url.clone(),
        ..StripeSettingsForm::default()
    };
    settings.save(&DEMO_ACTOR, &form).await.map_err(app_error)?;
    std::fs::write(&url_file, &running.base_url)
        .with_context(|| format!("write {}", url_file.display()))?;
    // The emulator starts empty, so its endpoint (and signing secret) is new on every start.
    settings
        .register_webhook(&DEMO_ACTOR)
        .await
        .map_err(app_error)
        .context("register the webhook endpoint with the emulator")?;
    let api = settings.stripe().await.map_err(app_error)?;
    for product in catalog::list(&state.pool, StripeMode::Test.as_str())
        .await
        .map_err(app_error)?
    {
        catalog::push(&state.pool, &api, product.id)
            .await
            .map_err(app_error)
            .with_context(|| format!("push {} to the emulator", product.name))?;
    }
    Ok(true)
}

fn app_error(e: AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// A secret made once and kept in `path`, readable by its owner only.
pub fn kept_secret(path: &Path, make: impl FnOnce() -> String) -> Result<String> {
    if !path.exists() {
        std::fs::write(path, make()).with_context(|| format!("write {}", path.display()))?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(std::fs::read_to_string(path)
        .with_context(|| format!("read {}", path.display()))?
        .trim()
        .to_owned())
}
