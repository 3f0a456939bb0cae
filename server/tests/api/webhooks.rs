//! `POST /api/stripe/webhook`: verified before parsing, stored once, nothing written otherwise.

use crate::helpers::{
    deliver_concurrently, settings_form, spawn_app_with_stripe, stripe_post, TestApp,
};
use app::server::webhooks::signature::sign;
use reqwest::StatusCode;

const SECRET: &str = "whsec_paydesktestsecret0001";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

fn event(id: &str, livemode: bool) -> String {
    format!(
        r#"{{"id":"{id}","object":"event","type":"customer.created","livemode":{livemode},"created":{},"api_version":"2026-09-30.endive","data":{{"object":{{"id":"cus_1","object":"customer"}}}}}}"#,
        now()
    )
}

async fn app_with_secret() -> (TestApp, stripe_emulator::Running) {
    let (app, emulator) = spawn_app_with_stripe().await;
    let mut form = settings_form(&emulator.base_url, "");
    form.push(("form[test_webhook_secret]", SECRET));
    app.call::<serde_json::Value>("settings/stripe/save", &form)
        .await
        .ok();
    (app, emulator)
}

async fn post(
    app: &TestApp,
    body: &str,
    signature: Option<String>,
    content_type: &str,
) -> StatusCode {
    let mut request = app
        .client
        .post(format!("{}/api/stripe/webhook", app.base))
        .header("content-type", content_type)
        .body(body.to_owned());
    if let Some(signature) = signature {
        request = request.header("stripe-signature", signature);
    }
    request.send().await.expect("request").status()
}

async fn stored(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM stripe_events")
        .fetch_one(&app.pool)
        .await
        .expect("count")
}

/// Delivers a freshly signed `customer.created` event with id `id`, as Stripe would.
async fn deliver(app: &TestApp, id: &str) -> StatusCode {
    let body = event(id, false);
    post(app, &body, signed(&body, SECRET, now()), "application/json").await
}

fn signed(body: &str, secret: &str, at: i64) -> Option<String> {
    Some(format!("t={at},v1={}", sign(secret, at, body.as_bytes())))
}

#[tokio::test]
async fn bad_deliveries_get_the_right_status_and_write_nothing() {
    let (app, _emulator) = app_with_secret().await;
    let body = event("evt_bad", false);
    let json = "application/json";
    let t = now();
    let cases: Vec<(&str, String, Option<String>, &str, StatusCode)> = vec![
        (
            "no header",
            body.clone(),
            None,
            json,
            StatusCode::BAD_REQUEST,
        ),
        (
            "garbage header",
            body.clone(),
            Some("nonsense".into()),
            json,
            StatusCode::BAD_REQUEST,
        ),
        (
            "only v0",
            body.clone(),
            Some(format!("t={t},v0={}", sign(SECRET, t, body.as_bytes()))),
            json,
            StatusCode::BAD_REQUEST,
        ),
        (
            "wrong secret",
            body.clone(),
            signed(&body, "whsec_someoneelse", t),
            json,
            StatusCode::BAD_REQUEST,
        ),
        (
            "stale",
            body.clone(),
            signed(&body, SECRET, t - 301),
            json,
            StatusCode::BAD_REQUEST,
        ),
        (
            "tampered",
            body.replace("cus_1", "cus_2"),
            signed(&body, SECRET, t),
            json,
            StatusCode::BAD_REQUEST,
        ),
        (
            "huge header",
            body.clone(),
            Some(format!("t={t},v1={}", "a".repeat(5000))),
            json,
            StatusCode::BAD_REQUEST,
        ),
        (
            "live event, test secret",
            event("evt_live", true),
            signed(&event("evt_live", true), SECRET, t),
            json,
            StatusCode::BAD_REQUEST,
        ),
        (
            "not json",
            body.clone(),
            signed(&body, SECRET, t),
            "text/plain",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "oversize",
            "x".repeat(300 * 1024),
            None,
            json,
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ];
    for (name, body, signature, content_type, expected) in cases {
        assert_eq!(
            post(&app, &body, signature, content_type).await,
            expected,
            "{name}"
        );
    }
    let get = app.get("/api/stripe/webhook").await.status();
    assert_eq!(get, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(stored(&app).await, 0);
}

#[tokio::test]
async fn without_a_configured_secret_every_event_is_refused() {
    let (app, _emulator) = spawn_app_with_stripe().await;
    assert_eq!(deliver(&app, "evt_nosecret").await, StatusCode::BAD_REQUEST);
    assert_eq!(stored(&app).await, 0);
}

#[tokio::test]
async fn a_delivery_repeated_concurrently_is_stored_once() {
    let (app, _emulator) = app_with_secret().await;
    let body = event("evt_dup", false);
    let signature = signed(&body, SECRET, now()).unwrap_or_default();
    let statuses = deliver_concurrently(&app, vec![(body, signature); 50]).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(stored(&app).await, 1);
}

#[tokio::test]
async fn events_from_the_emulator_land_in_the_inbox() {
    let (app, emulator) = spawn_app_with_stripe().await;
    let endpoint = stripe_post(
        &emulator,
        "/v1/webhook_endpoints",
        &[
            ("url", &format!("{}/api/stripe/webhook", app.base)),
            ("enabled_events[]", "customer.created"),
        ],
    )
    .await;
    let secret = endpoint["secret"].as_str().expect("secret").to_owned();
    let mut form = settings_form(&emulator.base_url, "");
    form.push(("form[test_webhook_secret]", &secret));
    app.call::<serde_json::Value>("settings/stripe/save", &form)
        .await
        .ok();

    let customer = stripe_post(
        &emulator,
        "/v1/customers",
        &[("email", "inbox@example.com")],
    )
    .await;
    let customer_id = customer["id"].as_str().expect("id").to_owned();
    let mut row = None;
    for _ in 0..50 {
        row = sqlx::query_as::<_, (String, String, String, String)>(
            "SELECT type, mode, status, object_id FROM stripe_events WHERE status = 'processed'",
        )
        .fetch_optional(&app.pool)
        .await
        .expect("query");
        if row.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        row,
        Some((
            "customer.created".into(),
            "test".into(),
            "processed".into(),
            customer_id.clone()
        ))
    );
    let email: Option<String> = sqlx::query_scalar("SELECT email FROM customers WHERE id = $1")
        .bind(&customer_id)
        .fetch_one(&app.pool)
        .await
        .expect("customer applied");
    assert_eq!(email.as_deref(), Some("inbox@example.com"));
}

#[tokio::test]
async fn the_console_lists_stored_events_and_shows_their_payload() {
    use app::model::EventSummary;
    let (app, _emulator) = app_with_secret().await;
    for id in ["evt_one", "evt_two"] {
        assert_eq!(deliver(&app, id).await, StatusCode::OK);
    }
    let all: Vec<EventSummary> = app
        .call("events/list", &[("status", ""), ("search", "customer.")])
        .await
        .ok();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].type_, "customer.created");
    let none: Vec<EventSummary> = app
        .call("events/list", &[("status", ""), ("search", "invoice.")])
        .await
        .ok();
    assert!(none.is_empty());
    let bad = app
        .call::<Vec<EventSummary>>("events/list", &[("status", "weird"), ("search", "")])
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let payload: String = app.call("events/payload", &[("id", "evt_one")]).await.ok();
    assert!(payload.contains("\"cus_1\""));
    let missing = app
        .call::<String>("events/payload", &[("id", "evt_nope")])
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_configured_alias_path_receives_events_like_the_canonical_one() {
    let pool = crate::helpers::fresh_database().await;
    let app = crate::helpers::spawn_app_with_env(
        pool,
        &[
            ("STRIPE_SECRET_KEY", "sk_test_aliasaliasalias1234"),
            ("STRIPE_WEBHOOK_SECRET", SECRET),
            ("PAYDESK_WEBHOOK_ALIASES", "/mixpost/payment-webhook"),
        ],
    )
    .await;
    let body = event("evt_alias", false);
    let status = app
        .client
        .post(format!("{}/mixpost/payment-webhook", app.base))
        .header("content-type", "application/json")
        .header(
            "stripe-signature",
            signed(&body, SECRET, now()).unwrap_or_default(),
        )
        .body(body)
        .send()
        .await
        .expect("request")
        .status();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stored(&app).await, 1);
    let get = app.get("/mixpost/payment-webhook").await.status();
    assert_eq!(get, StatusCode::METHOD_NOT_ALLOWED);
}
