//! Issue 17's hardening: redirects that cannot leave the site or panic, security headers,
//! sessions that can be ended everywhere, webhook answers that say nothing about secrets, and
//! an emulator control API that other sites cannot drive.

use crate::helpers::{
    fresh_database, spawn_app, spawn_app_with_env, TestApp, ADMIN_EMAIL, PASSWORD,
};
use app::model::{CurrentUser, EmailAddress, Password};
use app::server::webhooks::signature::sign;
use reqwest::StatusCode;

const MEMBER: &str = "ada@example.com";

async fn app_with_member() -> TestApp {
    let app = spawn_app().await;
    app.sign_up("Ada", MEMBER, PASSWORD).await;
    app
}

/// Where signing in with `next` sends the member.
async fn landing(app: &TestApp, next: &str) -> String {
    let visitor = app.another_visitor();
    let answer = visitor
        .call::<()>(
            "auth/login",
            &[("email", MEMBER), ("password", PASSWORD), ("next", next)],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{next:?}");
    answer.headers["location"]
        .to_str()
        .expect("a location header")
        .to_owned()
}

#[tokio::test]
async fn signing_in_never_sends_a_member_to_another_site() {
    let app = app_with_member().await;
    for next in [
        "/\t/evil.example",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "https://billing.example.com@evil.example/",
        "javascript:alert(1)",
        "/admin",
    ] {
        assert_eq!(landing(&app, next).await, "/billing", "{next:?}");
    }
    assert_eq!(
        landing(&app, "/billing/invoices").await,
        "/billing/invoices"
    );
    assert_eq!(
        landing(
            &app,
            "https://billing.example.com/billing/plans?interval=year"
        )
        .await,
        "/billing/plans?interval=year"
    );
}

#[tokio::test]
async fn a_next_with_line_breaks_answers_normally_instead_of_panicking() {
    let app = app_with_member().await;
    for next in ["/\n", "/\r\n/evil.example", "/\u{7f}", "/\u{1b}"] {
        assert_eq!(landing(&app, next).await, "/billing", "{next:?}");
    }
}

#[tokio::test]
async fn pages_carry_a_nonce_policy_that_matches_their_scripts_and_are_never_cached() {
    let app = spawn_app().await;
    let response = app.get("/login").await;
    let headers = response.headers().clone();
    let html = response.text().await.expect("body");
    let policy = headers["content-security-policy"].to_str().expect("ascii");
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("the policy names a nonce");
    assert!(policy.contains("'wasm-unsafe-eval'"), "{policy}");
    assert!(!policy.contains("'unsafe-inline'") && !policy.contains("'unsafe-eval'"));
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    let scripts = html.matches("<script").count();
    assert!(scripts > 0, "{html}");
    assert_eq!(
        html.matches(&format!("nonce=\"{nonce}\"")).count(),
        scripts,
        "every inline script carries this response's nonce"
    );
    assert_eq!(headers["cache-control"], "no-store");
    // The tests' public URL is https.
    assert!(headers["strict-transport-security"]
        .to_str()
        .expect("ascii")
        .starts_with("max-age="));

    let second = app.get("/login").await;
    let other = second.headers()["content-security-policy"]
        .to_str()
        .expect("ascii");
    assert!(!other.contains(nonce), "a nonce is used once");
}

#[tokio::test]
async fn server_function_answers_are_not_cached_and_may_not_load_anything() {
    let app = app_with_member().await;
    let answer = app.call::<Option<CurrentUser>>("auth/whoami", &[]).await;
    assert_eq!(answer.headers["cache-control"], "no-store");
    assert!(answer.headers["content-security-policy"]
        .to_str()
        .expect("ascii")
        .starts_with("default-src 'none'"));
}

#[tokio::test]
async fn plain_http_sites_get_no_hsts_and_a_plain_cookie_name() {
    let app = spawn_app_with_env(
        fresh_database().await,
        &[("PAYDESK_PUBLIC_URL", "http://127.0.0.1:3000")],
    )
    .await;
    let answer = app.sign_up("Ada", MEMBER, PASSWORD).await;
    assert!(!answer.headers.contains_key("strict-transport-security"));
    let cookie = answer.headers["set-cookie"].to_str().expect("ascii");
    assert!(cookie.starts_with("paydesk_session="), "{cookie}");
}

async fn whoami(app: &TestApp) -> Option<CurrentUser> {
    app.call::<Option<CurrentUser>>("auth/whoami", &[])
        .await
        .ok()
}

#[tokio::test]
async fn signing_out_everywhere_ends_the_members_other_sessions() {
    let app = app_with_member().await;
    let laptop = app.another_visitor();
    laptop.log_in(MEMBER, PASSWORD).await;
    let phone = app.another_visitor();
    phone.log_in(MEMBER, PASSWORD).await;
    assert!(whoami(&phone).await.is_some());

    let answer = laptop
        .call::<()>("auth/logout", &[("everywhere", "true")])
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers["location"], "/login");
    assert_eq!(whoami(&phone).await, None);
    assert_eq!(whoami(&laptop).await, None);
    assert_eq!(whoami(&app).await, None, "the sign-up session too");

    // Signing in again afterwards works as before.
    phone.log_in(MEMBER, PASSWORD).await;
    assert!(whoami(&phone).await.is_some());
}

#[tokio::test]
async fn a_plain_sign_out_leaves_other_sessions_alone() {
    let app = app_with_member().await;
    let phone = app.another_visitor();
    phone.log_in(MEMBER, PASSWORD).await;
    app.call::<()>("auth/logout", &[]).await;
    assert_eq!(whoami(&app).await, None);
    assert!(whoami(&phone).await.is_some());
}

async fn second_admin(app: &TestApp, email: &str) -> TestApp {
    let address = EmailAddress::parse(email).expect("email");
    let password = Password::parse(PASSWORD.into()).expect("password");
    app::server::accounts::create_admin(&app.pool, &address, &password)
        .await
        .expect("create admin");
    let browser = app.another_visitor();
    browser.log_in(email, PASSWORD).await;
    browser
}

#[tokio::test]
async fn removing_an_admin_ends_their_sessions_and_is_audited() {
    let app = spawn_app().await;
    app.create_admin().await;
    let root = app.another_visitor();
    root.log_in(ADMIN_EMAIL, PASSWORD).await;
    let other = second_admin(&app, "grace@example.com").await;
    assert!(whoami(&other).await.is_some());

    let answer = root
        .call::<()>("admin/admins/remove", &[("email", "grace@example.com")])
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.raw);
    assert_eq!(whoami(&other).await, None);
    let role: String = sqlx::query_scalar("SELECT role FROM users WHERE email = $1")
        .bind("grace@example.com")
        .fetch_one(&app.pool)
        .await
        .expect("role");
    assert_eq!(role, "member");
    let audited: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = $1")
        .bind("admin.removed")
        .fetch_one(&app.pool)
        .await
        .expect("audit");
    assert_eq!(audited, 1);
    // Signing in again, they are a member and the console refuses them.
    other.log_in("grace@example.com", PASSWORD).await;
    let refused = other.call::<serde_json::Value>("admin/admins", &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_admin_cannot_remove_themselves_nor_a_member() {
    let app = spawn_app().await;
    app.create_admin().await;
    app.sign_up("Ada", MEMBER, PASSWORD).await;
    let root = app.another_visitor();
    root.log_in(ADMIN_EMAIL, PASSWORD).await;
    let own = root
        .call::<()>("admin/admins/remove", &[("email", ADMIN_EMAIL)])
        .await;
    assert_eq!(own.status, StatusCode::CONFLICT);
    let member = root
        .call::<()>("admin/admins/remove", &[("email", MEMBER)])
        .await;
    assert_eq!(member.status, StatusCode::NOT_FOUND);
    assert!(whoami(&root).await.is_some());
}

const SECRET: &str = "whsec_hardeninghardening";

async fn deliver(app: &TestApp, signature: &str) -> (StatusCode, String) {
    let response = app
        .client
        .post(format!("{}/api/stripe/webhook", app.base))
        .header("content-type", "application/json")
        .header("stripe-signature", signature)
        .body(r#"{"id":"evt_1","object":"event"}"#)
        .send()
        .await
        .expect("request");
    (response.status(), response.text().await.expect("body"))
}

#[tokio::test]
async fn the_webhook_answers_alike_whether_or_not_a_secret_is_configured() {
    let without = spawn_app().await;
    let with = spawn_app_with_env(
        fresh_database().await,
        &[
            ("STRIPE_SECRET_KEY", "sk_test_hardeninghardening12"),
            ("STRIPE_WEBHOOK_SECRET", SECRET),
        ],
    )
    .await;
    let bogus = "t=1800000000,v1=00ff";
    let answers = [deliver(&without, bogus).await, deliver(&with, bogus).await];
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0].0, StatusCode::BAD_REQUEST);
    assert!(!answers[0].1.contains("secret"), "{}", answers[0].1);
}

#[tokio::test]
async fn a_signature_timestamp_at_the_ends_of_i64_is_refused_not_a_panic() {
    let app = spawn_app_with_env(
        fresh_database().await,
        &[
            ("STRIPE_SECRET_KEY", "sk_test_hardeninghardening12"),
            ("STRIPE_WEBHOOK_SECRET", SECRET),
        ],
    )
    .await;
    let body = br#"{"id":"evt_1","object":"event"}"#;
    for t in [i64::MIN, i64::MAX] {
        let header = format!("t={t},v1={}", sign(SECRET, t, body));
        assert_eq!(
            deliver(&app, &header).await.0,
            StatusCode::BAD_REQUEST,
            "{t}"
        );
    }
}

#[tokio::test]
async fn the_demo_emulators_control_api_needs_its_key_and_refuses_other_sites() {
    let config = stripe_emulator::EmulatorConfig {
        control_needs_key: true,
        ..stripe_emulator::EmulatorConfig::default()
    };
    let key = config.secret_key().to_owned();
    let emulator = stripe_emulator::spawn(config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("emulator");
    let client = reqwest::Client::new();
    let advance = || {
        client
            .post(format!("{}/_emulator/clock/advance", emulator.base_url))
            .json(&serde_json::json!({ "seconds": 86400 }))
    };
    let status = |r: reqwest::Response| r.status();
    assert_eq!(
        status(advance().send().await.expect("request")),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        status(
            advance()
                .bearer_auth(&key)
                .header("origin", "https://evil.example")
                .send()
                .await
                .expect("request")
        ),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(
            advance()
                .bearer_auth(&key)
                .header("sec-fetch-site", "cross-site")
                .send()
                .await
                .expect("request")
        ),
        StatusCode::FORBIDDEN
    );
    let clock: serde_json::Value = client
        .get(format!("{}/_emulator/clock", emulator.base_url))
        .bearer_auth(&key)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(clock["offset_seconds"], 0, "no refused request moved time");
    assert_eq!(
        status(advance().bearer_auth(&key).send().await.expect("request")),
        StatusCode::OK
    );
}

/// Whatever a search holds, `escape_like` makes Postgres match it as itself: the pattern built
/// from a term matches the term and nothing that merely looks like it. Checked against a real
/// Postgres, since LIKE's rules are the database's.
#[tokio::test]
async fn any_search_term_is_matched_literally_by_like() {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;
    let pool = fresh_database().await;
    let mut runner = TestRunner::deterministic();
    // Postgres text cannot hold NUL; every other character may be typed into a search.
    let terms = proptest::string::string_regex("[%_\\\\a-zA-Z0-9 .@'\"\u{1}-\u{1f}é€]{0,10}")
        .expect("regex")
        .prop_filter("no NUL", |s| !s.contains('\0'));
    for _ in 0..200 {
        let term = terms.new_tree(&mut runner).expect("term").current();
        let pattern = app::server::db::invoices::escape_like(&term);
        let (itself, longer, other): (bool, bool, bool) =
            sqlx::query_as("SELECT $1 LIKE $2, ($1 || 'x') LIKE $2, 'zz' LIKE $2 AND $1 <> 'zz'")
                .bind(&term)
                .bind(&pattern)
                .fetch_one(&pool)
                .await
                .unwrap_or_else(|e| panic!("{term:?}: {e}"));
        assert!(itself && !longer && !other, "{term:?} as {pattern:?}");
    }
}

#[tokio::test]
async fn a_nul_character_in_a_form_is_a_clear_400_and_stores_nothing() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(format!("{}/rpc/auth/signup", app.base))
        .form(&[
            ("name", "Ada\0"),
            ("email", "ada@example.com"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.expect("body").contains("NUL"));
    assert_eq!(app.user_count().await, 0);
}
