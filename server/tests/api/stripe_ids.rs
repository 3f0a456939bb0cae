#![allow(clippy::unwrap_used)] // a test's panic is its failure report
//! Stripe IDs a member or token sends cannot steer a request: an ID with path or query syntax
//! never reaches Stripe, and another member's objects answer exactly like missing ones.

use crate::helpers::{
    api_token, plan_in_catalog, register_webhook, sign_up_member, spawn_app_with_stripe,
    stripe_get, stripe_post, TestApp,
};
use app::model::{AddressPage, AppError};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The member's Stripe customer, made by opening their address page.
async fn customer_of(member: &TestApp, app: &TestApp, member_id: &str) -> String {
    let _: AddressPage = member.call("billing/address", &[]).await.ok();
    sqlx::query_scalar("SELECT id FROM customers WHERE user_id = $1::uuid AND NOT deleted")
        .bind(member_id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn add_vat(member: &TestApp, value: &str) -> String {
    let page: AddressPage = member
        .call(
            "billing/tax-ids/add",
            &[("kind", "eu_vat"), ("value", value)],
        )
        .await
        .ok();
    page.tax_ids[0].id.clone()
}

async fn rest(app: &TestApp, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", app.base))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn a_tax_id_with_path_or_query_syntax_is_refused_and_touches_nothing_at_stripe() {
    let (app, emulator) = spawn_app_with_stripe().await;
    let (mine, mine_id) = sign_up_member(&app, "mine@example.com").await;
    let (theirs, theirs_id) = sign_up_member(&app, "theirs@example.com").await;
    let my_customer = customer_of(&mine, &app, &mine_id).await;
    let their_customer = customer_of(&theirs, &app, &theirs_id).await;
    let my_vat = add_vat(&mine, "DE123456789").await;
    let their_vat = add_vat(&theirs, "DE987654321").await;

    for steering in [
        format!("txi_x/../../../../customers/{their_customer}"),
        format!("txi_x/../../../{my_customer}"),
        format!("{my_vat}?x=1"),
        format!("{my_vat}#x"),
        format!("{my_vat}/"),
        format!("{my_vat}%2F"),
        format!("{my_vat}/../{my_vat}"),
        format!("{their_vat}?customer={their_customer}"),
        their_vat.clone(),
        "txi_".to_owned(),
        "cus_abc".to_owned(),
    ] {
        let answer = mine
            .call::<AddressPage>("billing/tax-ids/remove", &[("id", &steering)])
            .await;
        assert_eq!(answer.err(), AppError::NotFound, "{steering}");
    }

    // Nothing was deleted: not the other customer, not either Tax ID, not my customer.
    let other = stripe_get(&emulator, &format!("/v1/customers/{their_customer}")).await;
    assert_eq!(other["id"], their_customer.as_str(), "{other}");
    assert_ne!(other["deleted"], true, "{other}");
    let me = stripe_get(&emulator, &format!("/v1/customers/{my_customer}")).await;
    assert_ne!(me["deleted"], true, "{me}");
    for (customer, vat) in [(&my_customer, &my_vat), (&their_customer, &their_vat)] {
        let ids = stripe_get(&emulator, &format!("/v1/customers/{customer}/tax_ids")).await;
        let ids: Vec<&str> = ids["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t["id"].as_str())
            .collect();
        assert_eq!(ids, [vat.as_str()], "{customer}");
    }

    // The member's own, well-formed ID still works.
    let page: AddressPage = mine
        .call("billing/tax-ids/remove", &[("id", &my_vat)])
        .await
        .ok();
    assert!(page.tax_ids.is_empty());
}

/// Two members with tokens; the second has a saved card. Returns the app, the emulator, the
/// plan price, the first member's token and customer, and the second member's card.
async fn two_members() -> (
    TestApp,
    stripe_emulator::Running,
    String,
    String,
    String,
    String,
) {
    let (app, emulator) = spawn_app_with_stripe().await;
    register_webhook(&app, &emulator).await;
    let price = plan_in_catalog(&app, &emulator, &[]).await;
    let (mine, mine_id) = sign_up_member(&app, "payer@example.com").await;
    let (theirs, theirs_id) = sign_up_member(&app, "cardholder@example.com").await;
    let my_customer = customer_of(&mine, &app, &mine_id).await;
    let their_customer = customer_of(&theirs, &app, &theirs_id).await;
    let their_card = stripe_post(
        &emulator,
        "/v1/payment_methods/pm_card_visa/attach",
        &[("customer", their_customer.as_str())],
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = api_token(&app, "member", "payer@example.com").await;
    (app, emulator, price, token, my_customer, their_card)
}

#[tokio::test]
async fn a_rest_subscription_with_another_members_card_is_refused_and_creates_nothing() {
    let (app, emulator, price, token, my_customer, their_card) = two_members().await;

    let (status, foreign) = rest(
        &app,
        &token,
        "/api/subscriptions/create",
        json!({"price_id": price, "payment_method": their_card}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{foreign}");
    assert_eq!(foreign["error"]["code"], "validation_failed");
    assert_eq!(foreign["error"]["field"], "payment_method");
    // Exactly what a card that does not exist, or is no ID at all, gets.
    for missing in [
        "pm_1NoSuchCard000000000000",
        "pm_x/../../customers",
        "card_123",
    ] {
        let (status, body) = rest(
            &app,
            &token,
            "/api/subscriptions/create",
            json!({"price_id": price, "payment_method": missing}),
        )
        .await;
        assert_eq!(
            (status, &body),
            (StatusCode::BAD_REQUEST, &foreign),
            "{missing}"
        );
    }

    let subs = stripe_get(
        &emulator,
        &format!("/v1/subscriptions?customer={my_customer}&status=all"),
    )
    .await;
    assert_eq!(subs["data"], json!([]), "{subs}");
    let card = stripe_get(&emulator, &format!("/v1/payment_methods/{their_card}")).await;
    assert_ne!(card["customer"], my_customer.as_str(), "{card}");
}

#[tokio::test]
async fn confirming_a_payment_with_another_members_card_is_refused_and_charges_nothing() {
    let (app, emulator, _, token, _, their_card) = two_members().await;
    let (status, intent) = rest(
        &app,
        &token,
        "/api/payments/create-intent",
        json!({"amount": 2500, "currency": "eur"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{intent}");
    let intent = intent["id"].as_str().unwrap().to_owned();

    let (status, foreign) = rest(
        &app,
        &token,
        "/api/payments/confirm",
        json!({"payment_intent": intent, "payment_method": their_card}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{foreign}");
    assert_eq!(foreign["error"]["field"], "payment_method");
    let (status, missing) = rest(
        &app,
        &token,
        "/api/payments/confirm",
        json!({"payment_intent": intent, "payment_method": "pm_1NoSuchCard000000000000"}),
    )
    .await;
    assert_eq!((status, missing), (StatusCode::BAD_REQUEST, foreign));

    let live = stripe_get(&emulator, &format!("/v1/payment_intents/{intent}")).await;
    assert_eq!(live["status"], "requires_payment_method", "{live}");
    assert_eq!(live["amount_received"], 0, "{live}");

    // A payment intent named with path syntax is as absent as someone else's.
    for steering in [
        format!("{intent}/confirm"),
        format!("{intent}?expand[]=customer"),
    ] {
        let (status, body) = rest(
            &app,
            &token,
            "/api/payments/confirm",
            json!({"payment_intent": steering, "payment_method": "pm_card_visa"}),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{steering}: {body}");
    }
    let live = stripe_get(&emulator, &format!("/v1/payment_intents/{intent}")).await;
    assert_eq!(live["status"], "requires_payment_method", "{live}");
}
