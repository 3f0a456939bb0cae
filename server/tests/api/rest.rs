#![allow(clippy::unwrap_used)] // a test's panic is its failure report
//! The REST API over HTTP with Bearer tokens made in the console.

use crate::helpers::{
    api_token, eventually, plan_in_catalog, register_webhook, sign_up_member,
    spawn_app_with_stripe, TestApp,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeSet;

struct Api<'a> {
    app: &'a TestApp,
    token: Option<String>,
}

impl Api<'_> {
    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request =
            reqwest::Client::new().request(method, format!("{}{path}", self.app.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::POST, path, Some(body)).await
    }
}

fn api<'a>(app: &'a TestApp, token: &str) -> Api<'a> {
    Api {
        app,
        token: Some(token.to_owned()),
    }
}

#[tokio::test]
async fn calls_without_a_live_token_are_refused_with_a_json_error() {
    let (app, _emulator) = spawn_app_with_stripe().await;
    sign_up_member(&app, "tok@example.com").await;
    let anonymous = Api {
        app: &app,
        token: None,
    };
    let (status, body) = anonymous
        .post("/api/payments/create-intent", json!({}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthorized");

    let (status, _) = api(&app, "pdk_notarealtoken")
        .send(Method::GET, "/api/payments/pi_1", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let secret = api_token(&app, "member", "tok@example.com").await;
    let (status, _) = api(&app, &secret)
        .send(Method::GET, "/api/payments/pi_unknown", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM api_tokens")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    app.call::<()>("admin/api-tokens/revoke", &[("id", &id.to_string())])
        .await
        .ok();
    let (status, body) = api(&app, &secret)
        .send(Method::GET, "/api/payments/pi_unknown", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

    // Only the hash is stored, and the audit log names the token, never its secret.
    let stored: Vec<u8> = sqlx::query_scalar("SELECT secret_hash FROM api_tokens")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 32);
    let audit: String = sqlx::query_scalar(
        "SELECT string_agg(details::text, ' ') FROM audit_log WHERE action LIKE 'api_token.%'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(audit.contains("test token") && !audit.contains(&secret));
}

#[tokio::test]
async fn a_member_token_pays_and_sees_only_its_own_payments() {
    let (app, emulator) = spawn_app_with_stripe().await;
    register_webhook(&app, &emulator).await;
    sign_up_member(&app, "payer@example.com").await;
    let (_, other_id) = sign_up_member(&app, "other@example.com").await;
    let payer = api(&app, &api_token(&app, "member", "payer@example.com").await);
    let other = api(&app, &api_token(&app, "member", "other@example.com").await);

    let (status, intent) = payer
        .post(
            "/api/payments/create-intent",
            json!({"amount": 2500, "currency": "eur", "description": "Workshop"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{intent}");
    assert_eq!(intent["status"], "requires_payment_method");
    let id = intent["id"].as_str().unwrap().to_owned();

    let (status, paid) = payer
        .post(
            "/api/payments/confirm",
            json!({"payment_intent": id, "payment_method": "pm_card_visa"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    assert_eq!(paid["status"], "succeeded");
    assert_eq!(paid["amount_received"], 2500);
    let (status, again) = payer
        .post(
            "/api/payments/confirm",
            json!({"payment_intent": id, "payment_method": "pm_card_visa"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");

    let (status, read) = payer
        .send(Method::GET, &format!("/api/payments/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read["status"], "succeeded");
    // Someone else's payment does not exist for another member's token.
    let (status, body) = other
        .send(Method::GET, &format!("/api/payments/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
    let (status, _) = other
        .post(
            "/api/payments/confirm",
            json!({"payment_intent": id, "payment_method": "pm_card_visa"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A member token cannot act for another member.
    let (status, body) = payer
        .post(
            "/api/payments/create-intent",
            json!({"amount": 100, "currency": "eur", "member_id": other_id}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // An admin token reads anyone's, and must name the member to charge.
    let admin = api(&app, &api_token(&app, "admin", "").await);
    let (status, _) = admin
        .send(Method::GET, &format!("/api/payments/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = admin
        .post(
            "/api/payments/create-intent",
            json!({"amount": 100, "currency": "eur"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["field"], "member_id");
    let (status, _) = admin
        .post(
            "/api/payments/create-intent",
            json!({"amount": 100, "currency": "eur", "member_id": other_id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    // The payment reaches the console by webhook.
    eventually("the API payment stored", || async {
        sqlx::query_scalar::<_, String>("SELECT status FROM payments WHERE id = $1")
            .bind(&id)
            .fetch_optional(&app.pool)
            .await
            .unwrap()
            .as_deref()
            == Some("succeeded")
    })
    .await;
}

#[tokio::test]
async fn a_declined_card_is_a_402_and_a_failed_payment_cannot_be_refunded() {
    let (app, emulator) = spawn_app_with_stripe().await;
    register_webhook(&app, &emulator).await;
    sign_up_member(&app, "declined@example.com").await;
    let payer = api(
        &app,
        &api_token(&app, "member", "declined@example.com").await,
    );
    let (_, intent) = payer
        .post(
            "/api/payments/create-intent",
            json!({"amount": 900, "currency": "usd"}),
        )
        .await;
    let id = intent["id"].as_str().unwrap().to_owned();
    let (status, body) = payer
        .post(
            "/api/payments/confirm",
            json!({"payment_intent": id, "payment_method": "pm_card_chargeDeclined"}),
        )
        .await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{body}");
    assert_eq!(body["error"]["code"], "payment_failed");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("declined"));

    eventually("the failed payment stored", || async {
        sqlx::query_scalar::<_, Option<String>>(
            "SELECT failure_message FROM payments WHERE id = $1",
        )
        .bind(&id)
        .fetch_optional(&app.pool)
        .await
        .unwrap()
        .flatten()
        .is_some()
    })
    .await;
    let refused = app
        .call::<String>(
            "admin/payments/refund",
            &[
                ("form[payment_id]", id.as_str()),
                ("form[amount]", ""),
                ("form[reason]", "duplicate"),
                ("form[note]", ""),
            ],
        )
        .await
        .err();
    assert!(
        matches!(refused, app::model::AppError::Validation { .. }),
        "{refused:?}"
    );
}

#[tokio::test]
async fn validation_errors_name_the_field_and_change_nothing() {
    let (app, emulator) = spawn_app_with_stripe().await;
    sign_up_member(&app, "fields@example.com").await;
    let payer = api(&app, &api_token(&app, "member", "fields@example.com").await);
    for (body, field) in [
        (json!({"currency": "eur"}), "amount"),
        (json!({"amount": "ten", "currency": "eur"}), "amount"),
        (json!({"amount": 0, "currency": "eur"}), "amount"),
        (json!({"amount": 100, "currency": "euro"}), "currency"),
        (
            json!({"amount": 100, "currency": "eur", "colour": "red"}),
            "colour",
        ),
    ] {
        let (status, answer) = payer
            .post("/api/payments/create-intent", body.clone())
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(answer["error"]["code"], "validation_failed");
        assert_eq!(answer["error"]["field"], field, "{body}: {answer}");
    }
    let intents = crate::helpers::stripe_get(&emulator, "/v1/payment_intents").await;
    assert_eq!(intents["data"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn subscriptions_are_created_changed_and_canceled_through_the_api() {
    let (app, emulator) = spawn_app_with_stripe().await;
    register_webhook(&app, &emulator).await;
    let price = plan_in_catalog(&app, &emulator, &[]).await;
    sign_up_member(&app, "subs@example.com").await;
    let member = api(&app, &api_token(&app, "member", "subs@example.com").await);

    let (status, body) = member
        .post("/api/subscriptions/create", json!({"price_id": price}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "payment_method");
    let (status, body) = member
        .post(
            "/api/subscriptions/create",
            json!({"price_id": "price_nope", "payment_method": "pm_card_visa"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["field"], "price_id");

    let (status, sub) = member
        .post(
            "/api/subscriptions/create",
            json!({"price_id": price, "payment_method": "pm_card_visa"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sub}");
    assert_eq!(sub["status"], "active");
    assert_eq!(sub["amount"], 1900);
    assert_eq!(sub["currency"], "eur");
    let id = sub["id"].as_str().unwrap().to_owned();
    eventually("the subscription stored", || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM subscriptions WHERE id = $1")
            .bind(&id)
            .fetch_one(&app.pool)
            .await
            .unwrap()
            == 1
    })
    .await;
    let (status, _) = member
        .post(
            "/api/subscriptions/create",
            json!({"price_id": price, "payment_method": "pm_card_visa"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let path = format!("/api/subscriptions/{id}");
    let (status, body) = member.send(Method::PUT, &path, Some(json!({}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = member
        .send(
            Method::PUT,
            &path,
            Some(json!({"cancel_at_period_end": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["cancel_at_period_end"], true);
    let (status, body) = member
        .send(
            Method::PUT,
            &path,
            Some(json!({"cancel_at_period_end": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["cancel_at_period_end"], false);

    // Another member's token: not found, and nothing changes.
    sign_up_member(&app, "intruder@example.com").await;
    let intruder = api(
        &app,
        &api_token(&app, "member", "intruder@example.com").await,
    );
    let (status, _) = intruder.send(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, body) = member.send(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "canceled");
}

#[tokio::test]
async fn the_openapi_document_lists_exactly_the_routes_that_answer() {
    let (app, _emulator) = spawn_app_with_stripe().await;
    let anonymous = Api {
        app: &app,
        token: None,
    };
    let (status, document) = anonymous.send(Method::GET, "/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    let mut documented = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let expected: BTreeSet<(String, String)> = [
        ("POST", "/api/payments/create-intent"),
        ("POST", "/api/payments/confirm"),
        ("GET", "/api/payments/{id}"),
        ("POST", "/api/subscriptions/create"),
        ("PUT", "/api/subscriptions/{id}"),
        ("DELETE", "/api/subscriptions/{id}"),
    ]
    .iter()
    .map(|(m, p)| (m.to_string(), p.to_string()))
    .collect();
    assert_eq!(documented, expected);
    // Every documented route is served: without a token it answers 401, never 404 or 405.
    for (method, path) in &documented {
        let path = path.replace("{id}", "x_1");
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let (status, body) = anonymous.send(method.clone(), &path, Some(json!({}))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}: {body}");
    }
    // And nothing else under /api is: an unknown path is a JSON 404.
    let (status, body) = anonymous.send(Method::GET, "/api/nope", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
    assert!(document["components"]["securitySchemes"]["bearer"].is_object());
}
