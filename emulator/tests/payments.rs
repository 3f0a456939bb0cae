#![allow(clippy::unwrap_used)]

mod common;

use common::spawn_emulator;
use reqwest::StatusCode;

#[tokio::test]
async fn payment_intent_confirmed_with_pm_card_visa_succeeds_with_a_charge() {
    let emu = spawn_emulator().await;
    let pi = emu
        .ok_post(
            "/v1/payment_intents",
            &[
                ("amount", "2500"),
                ("currency", "eur"),
                ("payment_method", "pm_card_visa"),
                ("confirm", "true"),
            ],
        )
        .await;
    assert!(pi["id"].as_str().unwrap().starts_with("pi_"));
    assert_eq!(pi["status"], "succeeded");
    assert_eq!(pi["amount_received"], 2500);
    let charge = emu
        .ok_get(&format!(
            "/v1/charges/{}",
            pi["latest_charge"].as_str().unwrap()
        ))
        .await;
    assert_eq!(charge["paid"], true);
    assert_eq!(charge["amount"], 2500);
}

#[tokio::test]
async fn declined_card_confirmation_is_a_402_card_error_carrying_the_intent() {
    let emu = spawn_emulator().await;
    let pi = emu
        .ok_post(
            "/v1/payment_intents",
            &[("amount", "1000"), ("currency", "usd")],
        )
        .await;
    assert_eq!(pi["status"], "requires_payment_method");
    let id = pi["id"].as_str().unwrap();
    let (status, body) = emu
        .post(
            &format!("/v1/payment_intents/{id}/confirm"),
            &[("payment_method", "pm_card_chargeDeclined")],
        )
        .await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(body["error"]["type"], "card_error");
    assert_eq!(body["error"]["code"], "card_declined");
    assert_eq!(body["error"]["decline_code"], "generic_decline");
    assert_eq!(body["error"]["payment_intent"]["id"], id);
    let after = emu.ok_get(&format!("/v1/payment_intents/{id}")).await;
    assert_eq!(after["status"], "requires_payment_method");
    assert_eq!(after["last_payment_error"]["code"], "card_declined");
    assert!(emu
        .event_types()
        .await
        .contains(&"payment_intent.payment_failed".to_owned()));
}

#[tokio::test]
async fn authentication_required_card_needs_action_then_succeeds_on_second_confirm() {
    let emu = spawn_emulator().await;
    let pi = emu
        .ok_post(
            "/v1/payment_intents",
            &[
                ("amount", "1000"),
                ("currency", "usd"),
                ("payment_method", "pm_card_authenticationRequired"),
                ("confirm", "true"),
            ],
        )
        .await;
    assert_eq!(pi["status"], "requires_action");
    assert_eq!(pi["next_action"]["type"], "use_stripe_sdk");
    let id = pi["id"].as_str().unwrap();
    let done = emu
        .ok_post(&format!("/v1/payment_intents/{id}/confirm"), &[])
        .await;
    assert_eq!(done["status"], "succeeded");
}

#[tokio::test]
async fn payment_intent_can_be_canceled_before_it_succeeds() {
    let emu = spawn_emulator().await;
    let pi = emu
        .ok_post(
            "/v1/payment_intents",
            &[("amount", "1000"), ("currency", "usd")],
        )
        .await;
    let id = pi["id"].as_str().unwrap();
    let canceled = emu
        .ok_post(
            &format!("/v1/payment_intents/{id}/cancel"),
            &[("cancellation_reason", "abandoned")],
        )
        .await;
    assert_eq!(canceled["status"], "canceled");
    assert_eq!(canceled["cancellation_reason"], "abandoned");
    let (status, _) = emu
        .post(&format!("/v1/payment_intents/{id}/cancel"), &[])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn partial_then_full_refund_marks_the_charge_refunded() {
    let emu = spawn_emulator().await;
    let pi = emu
        .ok_post(
            "/v1/payment_intents",
            &[
                ("amount", "3000"),
                ("currency", "usd"),
                ("payment_method", "pm_card_visa"),
                ("confirm", "true"),
            ],
        )
        .await;
    let charge_id = pi["latest_charge"].as_str().unwrap();
    let partial = emu
        .ok_post(
            "/v1/refunds",
            &[
                ("charge", charge_id),
                ("amount", "1000"),
                ("reason", "requested_by_customer"),
            ],
        )
        .await;
    assert!(partial["id"].as_str().unwrap().starts_with("re_"));
    assert_eq!(partial["amount"], 1000);
    let charge = emu.ok_get(&format!("/v1/charges/{charge_id}")).await;
    assert_eq!(
        (
            charge["amount_refunded"].as_i64(),
            charge["refunded"].as_bool()
        ),
        (Some(1000), Some(false))
    );

    let (status, body) = emu
        .post("/v1/refunds", &[("charge", charge_id), ("amount", "2500")])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["param"], "amount");

    let rest = emu
        .ok_post(
            "/v1/refunds",
            &[("payment_intent", pi["id"].as_str().unwrap())],
        )
        .await;
    assert_eq!(rest["amount"], 2000);
    let charge = emu.ok_get(&format!("/v1/charges/{charge_id}")).await;
    assert_eq!(charge["refunded"], true);
    let (status, body) = emu.post("/v1/refunds", &[("charge", charge_id)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "charge_already_refunded");
    let listed = emu.ok_get(&format!("/v1/refunds?charge={charge_id}")).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 2);
    let refunded_events = emu.ok_get("/v1/events?type=charge.refunded").await;
    assert_eq!(refunded_events["data"].as_array().unwrap().len(), 2);
}
