#![allow(clippy::unwrap_used)]

mod common;

use common::spawn_emulator;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn request_without_api_key_gets_stripe_401() {
    let emu = spawn_emulator().await;
    let response = emu.http.get(emu.url("/v1/products")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("You did not provide an API key"));
}

#[tokio::test]
async fn request_with_unknown_key_gets_401_with_masked_key() {
    let emu = spawn_emulator().await;
    let response = emu
        .http
        .get(emu.url("/v1/products"))
        .bearer_auth("sk_test_wrongwrongwrong1234")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "api_key_invalid");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("1234") && !message.contains("wrongwrongwrong"),
        "{message}"
    );
}

#[tokio::test]
async fn configured_keys_replace_the_default() {
    let config = stripe_emulator::EmulatorConfig {
        api_keys: vec!["sk_test_custom".into()],
        ..Default::default()
    };
    let emu = common::spawn_with(config).await;
    assert_eq!(emu.key, "sk_test_custom");
    assert_eq!(emu.get("/v1/products").await.0, StatusCode::OK);
    let response = emu
        .http
        .get(emu.url("/v1/products"))
        .bearer_auth(stripe_emulator::DEFAULT_SECRET_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn unknown_price_is_a_404_naming_the_param() {
    let emu = spawn_emulator().await;
    let (status, body) = emu
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "payment"),
                ("line_items[0][price]", "price_missing"),
                ("line_items[0][quantity]", "1"),
                ("success_url", "https://x.test/ok"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        json!({"error": {
            "type": "invalid_request_error",
            "code": "resource_missing",
            "doc_url": "https://stripe.com/docs/error-codes/resource-missing",
            "message": "No such price: 'price_missing'",
            "param": "line_items[0][price]",
        }})
    );
}

#[tokio::test]
async fn missing_required_param_is_a_400_parameter_missing() {
    let emu = spawn_emulator().await;
    let (status, body) = emu
        .post("/v1/products", &[("description", "no name")])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "parameter_missing");
    assert_eq!(body["error"]["param"], "name");
    assert_eq!(body["error"]["message"], "Missing required param: name.");
}

#[tokio::test]
async fn unknown_url_is_a_404_unrecognized_request() {
    let emu = spawn_emulator().await;
    let (status, body) = emu.get("/v1/nothing_here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body["error"]["message"],
        "Unrecognized request URL (GET: /v1/nothing_here)."
    );
}

#[tokio::test]
async fn same_idempotency_key_and_params_replays_the_first_response() {
    let emu = spawn_emulator().await;
    let form = [("email", "a@example.com"), ("metadata[plan]", "pro")];
    let (s1, first, replayed1) = emu.post_idempotent("/v1/customers", "key-1", &form).await;
    let (s2, second, replayed2) = emu
        .post_idempotent(
            "/v1/customers",
            "key-1",
            &[("metadata[plan]", "pro"), ("email", "a@example.com")],
        )
        .await;
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
    assert_eq!(first, second);
    assert!(!replayed1 && replayed2);
    let list = emu.ok_get("/v1/customers").await;
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        1,
        "the replay created nothing"
    );
}

#[tokio::test]
async fn same_idempotency_key_with_other_params_is_an_idempotency_error() {
    let emu = spawn_emulator().await;
    emu.post_idempotent("/v1/customers", "key-2", &[("email", "a@example.com")])
        .await;
    let (status, body, _) = emu
        .post_idempotent("/v1/customers", "key-2", &[("email", "b@example.com")])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["type"], "idempotency_error");
}

#[tokio::test]
async fn lists_paginate_newest_first_with_cursors() {
    let emu = spawn_emulator().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let c = emu
            .ok_post("/v1/customers", &[("email", &format!("c{i}@example.com"))])
            .await;
        ids.push(c["id"].as_str().unwrap().to_owned());
    }
    let page1 = emu.ok_get("/v1/customers?limit=2").await;
    assert_eq!(page1["object"], "list");
    assert_eq!(page1["url"], "/v1/customers");
    assert_eq!(page1["has_more"], true);
    let got: Vec<&str> = page1["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, vec![ids[4].as_str(), ids[3].as_str()]);
    let page2 = emu
        .ok_get(&format!("/v1/customers?limit=2&starting_after={}", ids[3]))
        .await;
    let got: Vec<&str> = page2["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, vec![ids[2].as_str(), ids[1].as_str()]);
    let page3 = emu
        .ok_get(&format!("/v1/customers?limit=2&starting_after={}", ids[1]))
        .await;
    assert_eq!(page3["has_more"], false);
    assert_eq!(page3["data"].as_array().unwrap().len(), 1);
    let back = emu
        .ok_get(&format!("/v1/customers?limit=2&ending_before={}", ids[1]))
        .await;
    let got: Vec<&str> = back["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, vec![ids[3].as_str(), ids[2].as_str()]);
    assert_eq!(back["has_more"], true);
    let (status, _) = emu.get("/v1/customers?limit=101").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn injected_faults_answer_429_then_500_then_recover() {
    let emu = spawn_emulator().await;
    emu.control("/faults", json!({"fault": "rate_limit", "count": 1}))
        .await;
    emu.control("/faults", json!({"fault": "server_error", "count": 1}))
        .await;
    let (s1, b1) = emu.get("/v1/products").await;
    let (s2, b2) = emu.get("/v1/products").await;
    let (s3, _) = emu.get("/v1/products").await;
    assert_eq!(
        (s1, s2, s3),
        (
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::OK
        )
    );
    assert_eq!(b1["error"]["code"], "rate_limit");
    assert_eq!(b2["error"]["type"], "api_error");
}

#[tokio::test]
async fn reset_forgets_everything() {
    let emu = spawn_emulator().await;
    emu.ok_post("/v1/products", &[("name", "Gone soon")]).await;
    emu.control("/reset", json!({})).await;
    let list = emu.ok_get("/v1/products").await;
    assert!(list["data"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn unknown_top_level_parameters_are_rejected_like_stripe() {
    let emu = spawn_emulator().await;
    let (status, body) = emu
        .post(
            "/v1/customers",
            &[("email", "a@example.com"), ("emial", "typo")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert_eq!(body["error"]["code"], "parameter_unknown");
    assert_eq!(
        body["error"]["message"],
        "Received unknown parameter: emial"
    );
    assert_eq!(body["error"]["param"], "emial");
    assert_eq!(
        emu.ok_get("/v1/customers").await["data"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let ok = emu
        .ok_post(
            "/v1/customers",
            &[
                ("email", "a@example.com"),
                ("metadata[anything_goes]", "1"),
                ("expand[]", "tax"),
            ],
        )
        .await;
    assert_eq!(ok["metadata"]["anything_goes"], "1");
    let (status, body) = emu
        .post(
            &format!("/v1/customers/{}", ok["id"].as_str().unwrap()),
            &[("colour", "red")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["param"], "colour");
    let (status, body) = emu
        .post(
            "/v1/coupons",
            &[("percent_off", "10"), ("durration", "once")],
        )
        .await;
    assert_eq!(
        (status, body["error"]["param"].as_str()),
        (StatusCode::BAD_REQUEST, Some("durration"))
    );
}

#[tokio::test]
async fn the_account_behind_the_key_can_be_read() {
    let emu = spawn_emulator().await;
    let account = emu.ok_get("/v1/account").await;
    assert_eq!(account["object"], "account");
    assert!(account["id"].as_str().unwrap().starts_with("acct_"));
    assert_eq!(
        account["settings"]["dashboard"]["display_name"],
        "Stripe emulator"
    );
    assert_eq!(account["charges_enabled"], true);
}
