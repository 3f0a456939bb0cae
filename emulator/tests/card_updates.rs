//! Cards that always ask for authentication, and cards their network updates.
#![allow(clippy::unwrap_used)]

mod common;

use common::spawn_emulator;
use serde_json::json;

const DAY: i64 = 86_400;

#[tokio::test]
async fn always_authenticate_card_needs_action_on_renewal() {
    let emu = spawn_emulator().await;
    let clock = emu.test_clock().await;
    let customer = emu.customer_on_clock(&clock, "3ds@example.com").await;
    let price = emu.monthly_price(1500, "usd").await;
    let session = emu
        .subscription_session(&price, &[("customer", &customer)])
        .await;
    let asked = emu.pay_hosted(&session, "4000002760003184", &[]).await;
    assert!(asked
        .text()
        .await
        .unwrap()
        .contains("Authenticate this payment"));
    let done = emu
        .authenticate_hosted(&session, "4000002760003184", "complete")
        .await;
    assert_eq!(done.status(), 303);
    let sub = emu
        .ok_get(&format!("/v1/subscriptions?customer={customer}"))
        .await["data"][0]
        .clone();
    assert_eq!(sub["status"], "active");

    emu.advance_test_clock(&clock, 32 * DAY).await;
    let renewed = emu
        .ok_get(&format!(
            "/v1/subscriptions/{}",
            sub["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(renewed["status"], "past_due");
    let events = emu
        .ok_get("/v1/events?type=invoice.payment_action_required")
        .await;
    let invoice = &events["data"][0]["data"]["object"];
    assert_eq!(invoice["billing_reason"], "subscription_cycle");
    assert_eq!(invoice["status"], "open");
    let intents = emu
        .ok_get(&format!("/v1/payment_intents?customer={customer}"))
        .await;
    assert_eq!(intents["data"][0]["status"], "requires_action");
}

#[tokio::test]
async fn network_card_update_changes_the_card_and_emits_an_event() {
    let emu = spawn_emulator().await;
    let (_, pm) = emu.customer_with_card("pm_card_visa").await;
    let updated = emu
        .control(
            &format!("/payment_methods/{pm}/update_card"),
            json!({ "exp_month": 3, "exp_year": 2031, "last4": "1881" }),
        )
        .await;
    assert_eq!(updated["card"]["last4"], "1881");
    let stored = emu.ok_get(&format!("/v1/payment_methods/{pm}")).await;
    assert_eq!(
        (
            stored["card"]["exp_month"].as_i64(),
            stored["card"]["exp_year"].as_i64()
        ),
        (Some(3), Some(2031))
    );
    let events = emu
        .ok_get("/v1/events?type=payment_method.automatically_updated")
        .await;
    let event = &events["data"][0];
    assert_eq!(event["data"]["object"]["id"], pm.as_str());
    assert_eq!(
        event["data"]["previous_attributes"]["card"]["last4"],
        "4242"
    );
    let missing = emu
        .http
        .post(emu.url("/_emulator/payment_methods/pm_nope/update_card"))
        .json(&json!({ "exp_month": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}
