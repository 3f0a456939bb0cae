//! The subscription statuses reached by time passing: `incomplete_expired` and `unpaid`.
#![allow(clippy::unwrap_used)]

mod common;

use common::spawn_emulator;
use serde_json::json;

const HOUR: i64 = 3600;

#[tokio::test]
async fn incomplete_subscription_expires_after_23_hours_unpaid() {
    let emu = spawn_emulator().await;
    let clock = emu.test_clock().await;
    let customer = emu.customer_on_clock(&clock, "late@example.com").await;
    let price = emu.monthly_price(1000, "usd").await;
    let sub = emu
        .ok_post(
            "/v1/subscriptions",
            &[
                ("customer", &customer),
                ("items[0][price]", &price),
                ("payment_behavior", "default_incomplete"),
            ],
        )
        .await;
    let sub_id = sub["id"].as_str().unwrap();
    assert_eq!(sub["status"], "incomplete");

    emu.advance_test_clock(&clock, 22 * HOUR).await;
    let waiting = emu.ok_get(&format!("/v1/subscriptions/{sub_id}")).await;
    assert_eq!(waiting["status"], "incomplete");

    emu.advance_test_clock(&clock, 2 * HOUR).await;
    let expired = emu.ok_get(&format!("/v1/subscriptions/{sub_id}")).await;
    assert_eq!(expired["status"], "incomplete_expired");
    assert_eq!(
        expired["ended_at"].as_i64(),
        Some(sub["created"].as_i64().unwrap() + 23 * HOUR)
    );
    let invoice = emu.invoice(&sub["latest_invoice"]).await;
    assert_eq!(invoice["status"], "void");
    let types = emu.event_types().await;
    assert!(types.contains(&"invoice.voided".to_owned()));
    assert!(types.contains(&"customer.subscription.deleted".to_owned()));
}

#[tokio::test]
async fn dunning_can_end_in_unpaid_instead_of_canceled() {
    let emu = spawn_emulator().await;
    let setting = emu.control("/dunning", json!({ "end": "unpaid" })).await;
    assert_eq!(setting["end"], "unpaid");
    let clock = emu.test_clock().await;
    let customer = emu.customer_on_clock(&clock, "unpaid@example.com").await;
    let price = emu.monthly_price(1500, "usd").await;
    let sub = emu.subscribe_via_checkout(&price, &customer).await;
    let sub_id = sub["id"].as_str().unwrap();
    emu.make_card_fail(&customer, sub_id).await;

    emu.advance_test_clock(&clock, 32 * 24 * HOUR).await;
    emu.advance_test_clock(&clock, 10 * 24 * HOUR).await;
    let unpaid = emu.ok_get(&format!("/v1/subscriptions/{sub_id}")).await;
    assert_eq!(unpaid["status"], "unpaid");
    assert!(unpaid["ended_at"].is_null());
    let open = emu
        .ok_get(&format!("/v1/invoices?customer={customer}&status=open"))
        .await;
    assert_eq!(open["data"][0]["attempt_count"], 4);
    assert!(!emu
        .event_types()
        .await
        .contains(&"customer.subscription.deleted".to_owned()));
    // An unpaid subscription no longer renews.
    let invoices_before = emu
        .ok_get(&format!("/v1/invoices?customer={customer}"))
        .await;
    emu.advance_test_clock(&clock, 40 * 24 * HOUR).await;
    let invoices_after = emu
        .ok_get(&format!("/v1/invoices?customer={customer}"))
        .await;
    assert_eq!(invoices_before["data"], invoices_after["data"]);
}
