//! Settings > Payment platform against a real Postgres and the Stripe emulator.

use crate::helpers::{
    fresh_database, settings_form, spawn_app, spawn_app_with_env, spawn_app_with_stripe,
    spawn_emulator, ADMIN_EMAIL, PASSWORD,
};
use app::model::{AppError, ConnectionReport, StripeMode, StripeSettingsView, WebhookRegistration};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::Value;

#[tokio::test]
async fn the_whole_settings_flow_never_sends_a_secret_back() {
    let (app, emulator) = spawn_app_with_stripe().await;
    let key = emulator.emulator.secret_key().to_owned();
    let whsec = "whsec_handtypedsecret0000001";
    let mut form = settings_form(&emulator.base_url, &key);
    form.push(("form[test_webhook_secret]", whsec));

    let mut bodies = Vec::new();
    let saved = app
        .call::<StripeSettingsView>("settings/stripe/save", &form)
        .await;
    bodies.push(saved.raw.clone());
    let view = saved.ok();
    assert_eq!(view.test.secret_key.shown.as_deref(), Some(&*masked(&key)));
    assert_eq!(
        view.test.webhook_secret.shown.as_deref(),
        Some("whsec_...0001")
    );
    let got = app.call::<StripeSettingsView>("settings/stripe", &[]).await;
    bodies.push(got.raw.clone());
    let verified = app
        .call::<ConnectionReport>("settings/stripe/verify", &[])
        .await;
    bodies.push(verified.raw.clone());
    let registered = app
        .call::<WebhookRegistration>("settings/stripe/webhook", &[])
        .await;
    bodies.push(registered.raw.clone());
    let registration = registered.ok();
    bodies.push(
        app.get("/admin/settings/stripe")
            .await
            .text()
            .await
            .expect("page"),
    );

    assert!(registration.endpoint_id.starts_with("we_"));
    let cipher = app::server::crypto::SecretCipher::new(&[0x2a; 32]);
    let sealed: Vec<u8> = sqlx::query_scalar("SELECT test_webhook_secret FROM stripe_settings")
        .fetch_one(&app.pool)
        .await
        .expect("row");
    let stripe_whsec = cipher
        .open("test_webhook_secret", &sealed)
        .expect("the registered secret is stored")
        .expose_secret()
        .to_owned();
    assert!(stripe_whsec.starts_with("whsec_") && stripe_whsec != whsec);
    for body in &bodies {
        for secret in [&key, whsec, &stripe_whsec] {
            assert!(
                !body.contains(secret),
                "a response contained a secret: {body}"
            );
        }
    }
    // Stored encrypted: the database holds neither the key nor any part of it past the hint.
    let row: (Vec<u8>, Vec<u8>) =
        sqlx::query_as("SELECT test_secret_key, test_webhook_secret FROM stripe_settings")
            .fetch_one(&app.pool)
            .await
            .expect("settings row");
    for sealed in [&row.0, &row.1] {
        assert!(!String::from_utf8_lossy(sealed).contains("sk_test_"));
        assert!(!String::from_utf8_lossy(sealed).contains("whsec_"));
    }
}

fn masked(key: &str) -> String {
    format!("sk_test_...{}", &key[key.len() - 4..])
}

#[tokio::test]
async fn a_bad_key_is_refused_with_its_field_and_changes_nothing() {
    let (app, emulator) = spawn_app_with_stripe().await;
    let before: StripeSettingsView = app.call("settings/stripe", &[]).await.ok();
    let mut form = settings_form(&emulator.base_url, "");
    form.push(("form[live_secret_key]", "sk_test_notalivekey1234"));
    for field in form.iter_mut().filter(|(k, _)| *k == "form[automatic_tax]") {
        field.1 = "true";
    }
    let answer = app
        .call::<StripeSettingsView>("settings/stripe/save", &form)
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer.err(),
        AppError::validation(
            "live_secret_key",
            "This is a test key; the live secret key must start with sk_live_ or rk_live_."
        )
    );
    let after: StripeSettingsView = app.call("settings/stripe", &[]).await.ok();
    assert_eq!(before, after);
}

#[tokio::test]
async fn verify_lists_the_products_stripe_has() {
    let (app, emulator) = spawn_app_with_stripe().await;
    crate::helpers::stripe_post(&emulator, "/v1/products", &[("name", "Made in Stripe")]).await;
    let report: ConnectionReport = app.call("settings/stripe/verify", &[]).await.ok();
    assert_eq!(report.mode, StripeMode::Test);
    assert_eq!(report.api_base, emulator.base_url);
    assert!(report.products.iter().any(|p| p.name == "Made in Stripe"));
    let account = report.account.expect("the account is named");
    assert!(account.id.starts_with("acct_"));
    assert_eq!(account.name.as_deref(), Some("Stripe emulator"));
}

/// Saves `form`, presses Verify, and returns the error it must give.
async fn verify_error(app: &crate::helpers::TestApp, form: &[(&str, &str)]) -> AppError {
    app.call::<StripeSettingsView>("settings/stripe/save", form)
        .await
        .ok();
    app.call::<ConnectionReport>("settings/stripe/verify", &[])
        .await
        .err()
}

/// A base on loopback where nobody listens (the listener is dropped at once).
fn closed_base() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    format!("http://{}", listener.local_addr().expect("addr"))
}

#[tokio::test]
async fn verify_says_plainly_what_is_wrong() {
    // Nobody listening there; the environment allows it, as an operator would a proxy.
    let closed = closed_base();
    let (app, emulator) =
        crate::helpers::spawn_app_with_stripe_and_env(&[(crate::helpers::ALLOWED_BASES, &closed)])
            .await;

    let unknown_key = settings_form(&emulator.base_url, "sk_test_revokedkey12345678");
    match verify_error(&app, &unknown_key).await {
        AppError::Payment(m) => assert!(m.starts_with("Stripe rejected the secret key"), "{m}"),
        other => panic!("{other:?}"),
    }

    // Live mode chosen while only test keys exist.
    let live_without_keys = crate::helpers::live_mode_form(&emulator.base_url);
    match verify_error(&app, &live_without_keys).await {
        AppError::Conflict(m) => assert!(m.starts_with("No live secret key yet"), "{m}"),
        other => panic!("{other:?}"),
    }

    // Nobody listening at the API base: the admin is told which base did not answer.
    let unreachable = settings_form(&closed, emulator.emulator.secret_key());
    match verify_error(&app, &unreachable).await {
        AppError::Payment(m) => {
            assert!(
                m.starts_with(&format!("Could not reach Stripe at {closed}")),
                "{m}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn keys_from_the_environment_override_the_form_and_show_masked() {
    let emulator = spawn_emulator().await;
    let key = emulator.emulator.secret_key().to_owned();
    let app = spawn_app_with_env(
        fresh_database().await,
        &[
            ("STRIPE_SECRET_KEY", &key),
            ("STRIPE_API_BASE", &emulator.base_url),
        ],
    )
    .await;
    app.create_admin().await;
    app.log_in(ADMIN_EMAIL, PASSWORD).await.ok();
    let view = app.call::<StripeSettingsView>("settings/stripe", &[]).await;
    assert!(!view.raw.contains(&key));
    let view = view.ok();
    assert!(view.test.secret_key.from_env);
    assert_eq!(view.test.secret_key.shown, Some(masked(&key)));
    assert!(view.api_base_from_env);
    assert!(!view.live.secret_key.from_env);
    // Nothing stored, yet Stripe is reachable through the environment's key.
    let report: ConnectionReport = app.call("settings/stripe/verify", &[]).await.ok();
    assert_eq!(report.api_base, emulator.base_url);
}

#[tokio::test]
async fn every_change_is_audited_by_field_name_never_by_value() {
    let (app, emulator) = spawn_app_with_stripe().await;
    let key = emulator.emulator.secret_key();
    let rows: Vec<(String, String, Value)> =
        sqlx::query_as("SELECT actor_email, action, details FROM audit_log ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .expect("audit rows");
    let (actor, action, details) = rows.last().expect("one row");
    assert_eq!(actor, ADMIN_EMAIL);
    assert_eq!(action, "settings.stripe.updated");
    let fields: Vec<&str> = details["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for f in [
        "enabled",
        "test_publishable_key",
        "api_base",
        "test_secret_key",
    ] {
        assert!(fields.contains(&f), "{fields:?}");
    }
    assert!(!details.to_string().contains(key));
}

#[tokio::test]
async fn members_cannot_read_or_change_settings() {
    let app = spawn_app().await;
    app.sign_up("Mallory", "mallory@example.com", PASSWORD)
        .await
        .ok();
    for endpoint in [
        "settings/stripe",
        "settings/stripe/verify",
        "settings/stripe/webhook",
    ] {
        let answer = app.call::<Value>(endpoint, &[]).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{endpoint}");
    }
    let form = settings_form("http://127.0.0.1:9", "sk_test_membersattempt1234");
    let answer = app.call::<Value>("settings/stripe/save", &form).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let stored: Option<Vec<u8>> = sqlx::query_scalar("SELECT test_secret_key FROM stripe_settings")
        .fetch_one(&app.pool)
        .await
        .expect("row");
    assert!(stored.is_none());
}

#[tokio::test]
async fn rotating_the_master_key_keeps_every_secret_usable() {
    use app::server::billing::settings::rotate_master_key;
    use app::server::crypto::SecretCipher;
    let (app, _emulator) = spawn_app_with_stripe().await;
    let old = SecretCipher::new(&[0x2a; 32]);
    let new = SecretCipher::new(&[0x07; 32]);
    assert_eq!(rotate_master_key(&app.pool, &old, &new).await, Ok(1));
    let sealed: Vec<u8> = sqlx::query_scalar("SELECT test_secret_key FROM stripe_settings")
        .fetch_one(&app.pool)
        .await
        .expect("row");
    assert!(old.open("test_secret_key", &sealed).is_err());
    assert!(new.open("test_secret_key", &sealed).is_ok());
    // The old key can no longer open anything, so a second rotation from it fails cleanly.
    assert!(rotate_master_key(&app.pool, &old, &new).await.is_err());
}

/// A listener standing in for a host a key must never reach: it records every request it is
/// sent (the Authorization header included) and answers none of them usefully.
struct Spy {
    base: String,
    requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Spy {
    async fn start() -> Spy {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind spy");
        let base = format!("http://{}", listener.local_addr().expect("spy addr"));
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = requests.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut buf = vec![0; 8192];
                let n =
                    tokio::time::timeout(std::time::Duration::from_secs(2), socket.read(&mut buf))
                        .await
                        .ok()
                        .and_then(Result::ok)
                        .unwrap_or(0);
                seen.lock()
                    .expect("spy log")
                    .push(String::from_utf8_lossy(&buf[..n]).into_owned());
                let _ = socket
                    .write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            }
        });
        Spy { base, requests }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("spy log").clone()
    }
}

async fn saved_view(app: &crate::helpers::TestApp) -> StripeSettingsView {
    app.call("settings/stripe", &[]).await.ok()
}

#[tokio::test]
async fn an_admin_cannot_point_stripe_at_a_host_the_environment_did_not_allow() {
    let (app, emulator) = spawn_app_with_stripe().await;
    let key = emulator.emulator.secret_key().to_owned();
    let before = saved_view(&app).await;
    for base in [
        "http://127.0.0.1:9",
        "http://169.254.169.254",
        "https://api.stripe.com.evil.example",
        "https://api.stripe.com@evil.example",
        "file:///etc/passwd",
    ] {
        let answer = app
            .call::<StripeSettingsView>("settings/stripe/save", &settings_form(base, &key))
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{base}");
        let message = answer
            .err()
            .field_message("api_base")
            .unwrap_or_else(|| panic!("{base}: no error on api_base"));
        assert!(message.contains("PAYDESK_STRIPE_API_BASES"), "{message}");
        assert_eq!(
            saved_view(&app).await,
            before,
            "{base} changed the settings"
        );
    }
    let stored: Option<String> = sqlx::query_scalar("SELECT api_base FROM stripe_settings")
        .fetch_one(&app.pool)
        .await
        .expect("row");
    assert_eq!(stored.as_deref(), Some(emulator.base_url.as_str()));
}

#[tokio::test]
async fn a_stored_key_is_not_sent_to_a_base_the_environment_moved_to() {
    let (first, _emulator) = spawn_app_with_stripe().await;
    let spy = Spy::start().await;
    // The same database, restarted with STRIPE_API_BASE pointing elsewhere.
    let app = spawn_app_with_env(first.pool.clone(), &[("STRIPE_API_BASE", &spy.base)]).await;
    app.log_in(ADMIN_EMAIL, PASSWORD).await.ok();
    match app
        .call::<ConnectionReport>("settings/stripe/verify", &[])
        .await
        .err()
    {
        AppError::Conflict(m) => {
            assert!(m.contains("enter the test secret key again"), "{m}");
            assert!(!m.contains(&spy.base), "{m}");
        }
        other => panic!("{other:?}"),
    }
    let registered = app
        .call::<WebhookRegistration>("settings/stripe/webhook", &[])
        .await;
    assert_eq!(registered.status, StatusCode::CONFLICT);
    assert!(spy.requests().is_empty(), "{:?}", spy.requests());
}

#[tokio::test]
async fn changing_the_base_needs_the_secret_key_again_and_then_binds_it_to_the_new_base() {
    let spy = Spy::start().await;
    let other = spawn_emulator().await;
    let bases = format!("{},{}", spy.base, other.base_url);
    let (app, emulator) =
        crate::helpers::spawn_app_with_stripe_and_env(&[(crate::helpers::ALLOWED_BASES, &bases)])
            .await;
    let before = saved_view(&app).await;
    assert!(before.api_base_choices.contains(&spy.base));

    // An allowed base, but the stored key was saved for the emulator: refused, nothing saved.
    let answer = app
        .call::<StripeSettingsView>("settings/stripe/save", &settings_form(&spy.base, ""))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let message = answer
        .err()
        .field_message("test_secret_key")
        .expect("an error on the secret key");
    assert!(
        message.contains("enter the test secret key again"),
        "{message}"
    );
    assert_eq!(saved_view(&app).await, before);
    let report: ConnectionReport = app.call("settings/stripe/verify", &[]).await.ok();
    assert_eq!(report.api_base, emulator.base_url);
    assert!(spy.requests().is_empty(), "{:?}", spy.requests());

    // Entering the key with the new base moves both.
    let key = other.emulator.secret_key().to_owned();
    app.call::<StripeSettingsView>(
        "settings/stripe/save",
        &settings_form(&other.base_url, &key),
    )
    .await
    .ok();
    let report: ConnectionReport = app.call("settings/stripe/verify", &[]).await.ok();
    assert_eq!(report.api_base, other.base_url);
    let bound: Option<String> =
        sqlx::query_scalar("SELECT test_secret_key_api_base FROM stripe_settings")
            .fetch_one(&app.pool)
            .await
            .expect("row");
    assert_eq!(bound.as_deref(), Some(other.base_url.as_str()));
    assert!(spy.requests().is_empty(), "{:?}", spy.requests());
}

#[tokio::test]
async fn members_never_see_where_stripe_is_or_what_the_network_said() {
    let closed = closed_base();
    let (app, emulator) =
        crate::helpers::spawn_app_with_stripe_and_env(&[(crate::helpers::ALLOWED_BASES, &closed)])
            .await;
    app.call::<StripeSettingsView>(
        "settings/stripe/save",
        &settings_form(&closed, emulator.emulator.secret_key()),
    )
    .await
    .ok();
    let (member, _) = crate::helpers::sign_up_member(&app, "mia@example.com").await;
    let answer = member.call::<Value>("billing/portal", &[]).await;
    let port = closed.rsplit(':').next().expect("port");
    for shown in [&answer.raw, &format!("{:?}", answer.body)] {
        for leak in [
            closed.as_str(),
            "127.0.0.1",
            port,
            "Could not reach",
            "error sending",
        ] {
            assert!(!shown.contains(leak), "{leak} in {shown}");
        }
    }
    assert_eq!(
        answer.err(),
        AppError::Payment("Payments are temporarily unavailable, try again later.".into())
    );
}

#[tokio::test]
async fn keys_stored_before_the_binding_are_bound_to_the_base_the_row_used() {
    const BINDING: i64 = 20261123000015;
    for (row_base, bound) in [
        (Some("http://127.0.0.1:12111"), "http://127.0.0.1:12111"),
        (None, "https://api.stripe.com"),
    ] {
        let pool = crate::helpers::empty_database().await;
        let mut before = sqlx::migrate!("../migrations");
        before.migrations = before
            .migrations
            .iter()
            .filter(|m| m.version < BINDING)
            .cloned()
            .collect::<Vec<_>>()
            .into();
        before
            .run(&pool)
            .await
            .expect("migrations before the binding");
        sqlx::query("UPDATE stripe_settings SET test_secret_key = '\\x01', api_base = $1")
            .bind(row_base)
            .execute(&pool)
            .await
            .expect("a key stored the old way");
        sqlx::migrate!("../migrations")
            .run(&pool)
            .await
            .expect("the binding migration");
        let (test, live): (Option<String>, Option<String>) = sqlx::query_as(
            "SELECT test_secret_key_api_base, live_secret_key_api_base FROM stripe_settings",
        )
        .fetch_one(&pool)
        .await
        .expect("row");
        assert_eq!(test.as_deref(), Some(bound));
        assert_eq!(live, None, "no live key, so no base");
        // From now on a key cannot be stored without its base.
        let unbound = sqlx::query("UPDATE stripe_settings SET live_secret_key = '\\x02'")
            .execute(&pool)
            .await;
        assert!(unbound.is_err());
    }
}

/// `paydesk demo` on a data directory from an earlier run: the row stores the old emulator's
/// base and key; the emulator now listens elsewhere. The demo allows the new base in its own
/// config and enters the key again with it, so Stripe works without the form accepting hosts.
#[tokio::test]
async fn the_demo_binds_its_emulator_key_again_when_the_emulator_moves() {
    use paydesk::demo_stripe;
    let dir = std::env::temp_dir().join(format!("paydesk-demo-{:016x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).expect("data dir");
    let pool = fresh_database().await;
    let mut bases = Vec::new();
    let mut emulators = Vec::new();
    for _ in 0..2 {
        let running = demo_stripe::start(&dir, "127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("emulator");
        let mut config = paydesk::config::Config::from_lookup(|name| match name {
            "PAYDESK_ADDR" => Some("127.0.0.1:0".into()),
            "PAYDESK_MASTER_KEY" => Some(crate::helpers::TEST_MASTER_KEY.into()),
            _ => None,
        })
        .expect("config");
        demo_stripe::allow(&mut config.stripe, &running);
        let app = paydesk::startup::Application::build(&config, pool.clone())
            .await
            .expect("app");
        let connected = demo_stripe::connect(app.state(), &running, &dir)
            .await
            .expect("connect");
        assert!(connected);
        let report = app.state().settings().verify().await.expect("verify");
        assert_eq!(report.api_base, running.base_url);
        bases.push(running.base_url.clone());
        emulators.push(running);
    }
    assert_ne!(bases[0], bases[1], "the second run's emulator moved");
    std::fs::remove_dir_all(&dir).ok();
}
