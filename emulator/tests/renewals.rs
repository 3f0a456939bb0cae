#![allow(clippy::unwrap_used)]

mod common;

use common::{spawn_emulator, Receiver, TestEmulator};
use serde_json::{json, Value};

const DAY: i64 = 86_400;

/// A customer on a new test clock, subscribed through Checkout with 4242. Returns (clock, customer, subscription).
async fn subscribed_on_clock(emu: &TestEmulator) -> (String, String, Value) {
    let clock = emu.test_clock().await;
    let customer = emu.customer_on_clock(&clock, "clock@example.com").await;
    let price = emu.monthly_price(1500, "usd").await;
    let sub = emu.subscribe_via_checkout(&price, &customer).await;
    (clock, customer, sub)
}

async fn advance(emu: &TestEmulator, clock: &str, by: i64) -> Value {
    emu.advance_test_clock(clock, by).await
}

#[tokio::test]
async fn advancing_a_test_clock_a_month_renews_and_pays() {
    let emu = spawn_emulator().await;
    let receiver = Receiver::start(0).await;
    emu.ok_post(
        "/v1/webhook_endpoints",
        &[("url", &receiver.url), ("enabled_events[]", "invoice.paid")],
    )
    .await;
    let (clock, customer, sub) = subscribed_on_clock(&emu).await;
    let first_end = sub["items"]["data"][0]["current_period_end"]
        .as_i64()
        .unwrap();
    assert_eq!(sub["test_clock"], clock);

    let ready = advance(&emu, &clock, 32 * DAY).await;
    assert_eq!(ready["status"], "ready");

    let invoices = emu
        .ok_get(&format!("/v1/invoices?customer={customer}"))
        .await;
    let invoices = invoices["data"].as_array().unwrap();
    assert_eq!(invoices.len(), 2);
    assert_eq!(invoices[0]["billing_reason"], "subscription_cycle");
    assert_eq!(invoices[0]["status"], "paid");
    assert_eq!(invoices[0]["amount_paid"], 1500);
    assert_eq!(invoices[0]["period_start"], first_end);

    let renewed = emu
        .ok_get(&format!(
            "/v1/subscriptions/{}",
            sub["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(renewed["status"], "active");
    assert_eq!(
        renewed["items"]["data"][0]["current_period_start"],
        first_end
    );
    assert_eq!(renewed["latest_invoice"], invoices[0]["id"]);

    for _ in 0..100 {
        if receiver
            .events()
            .iter()
            .filter(|e| e["type"] == "invoice.paid")
            .count()
            == 2
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let paid: Vec<Value> = receiver
        .events()
        .into_iter()
        .filter(|e| e["type"] == "invoice.paid")
        .collect();
    assert_eq!(paid.len(), 2, "first invoice and the renewal");
    assert!(paid
        .iter()
        .any(|e| e["data"]["object"]["billing_reason"] == "subscription_cycle"));
}

#[tokio::test]
async fn failing_card_makes_renewal_past_due_then_retries_then_cancels() {
    let emu = spawn_emulator().await;
    let (clock, customer, sub) = subscribed_on_clock(&emu).await;
    let sub_id = sub["id"].as_str().unwrap();
    emu.make_card_fail(&customer, sub_id).await;

    advance(&emu, &clock, 32 * DAY).await;
    let past_due = emu.ok_get(&format!("/v1/subscriptions/{sub_id}")).await;
    assert_eq!(past_due["status"], "past_due");
    let open = emu
        .ok_get(&format!("/v1/invoices?customer={customer}&status=open"))
        .await;
    assert_eq!(open["data"][0]["attempt_count"], 1);
    assert!(emu
        .event_types()
        .await
        .contains(&"invoice.payment_failed".to_owned()));

    advance(&emu, &clock, 10 * DAY).await;
    let canceled = emu.ok_get(&format!("/v1/subscriptions/{sub_id}")).await;
    assert_eq!(canceled["status"], "canceled");
    assert_eq!(canceled["cancellation_details"]["reason"], "payment_failed");
    let open = emu
        .ok_get(&format!(
            "/v1/invoices/{}",
            open["data"][0]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(open["attempt_count"], 4);
    assert!(emu
        .event_types()
        .await
        .contains(&"customer.subscription.deleted".to_owned()));
}

#[tokio::test]
async fn past_due_subscription_recovers_when_a_retry_succeeds() {
    let emu = spawn_emulator().await;
    let (clock, customer, sub) = subscribed_on_clock(&emu).await;
    let sub_id = sub["id"].as_str().unwrap();
    let good_pm = sub["default_payment_method"].as_str().unwrap().to_owned();
    emu.make_card_fail(&customer, sub_id).await;
    advance(&emu, &clock, 32 * DAY).await;
    emu.ok_post(
        &format!("/v1/subscriptions/{sub_id}"),
        &[("default_payment_method", &good_pm)],
    )
    .await;
    advance(&emu, &clock, 4 * DAY).await;
    let recovered = emu.ok_get(&format!("/v1/subscriptions/{sub_id}")).await;
    assert_eq!(recovered["status"], "active");
}

#[tokio::test]
async fn cancel_at_period_end_ends_the_subscription_when_the_period_ends() {
    let emu = spawn_emulator().await;
    let (clock, _, sub) = subscribed_on_clock(&emu).await;
    let sub_id = sub["id"].as_str().unwrap();
    let updated = emu
        .ok_post(
            &format!("/v1/subscriptions/{sub_id}"),
            &[("cancel_at_period_end", "true")],
        )
        .await;
    assert_eq!(updated["cancel_at_period_end"], true);
    assert_eq!(
        updated["cancel_at"],
        sub["items"]["data"][0]["current_period_end"]
    );
    assert_eq!(updated["status"], "active");
    advance(&emu, &clock, 32 * DAY).await;
    let ended = emu.ok_get(&format!("/v1/subscriptions/{sub_id}")).await;
    assert_eq!(ended["status"], "canceled");
    let invoices = emu
        .ok_get(&format!("/v1/invoices?subscription={sub_id}"))
        .await;
    assert_eq!(
        invoices["data"].as_array().unwrap().len(),
        1,
        "no renewal invoice"
    );
}

#[tokio::test]
async fn deleting_a_subscription_cancels_it_now() {
    let emu = spawn_emulator().await;
    let (_, customer, sub) = subscribed_on_clock(&emu).await;
    let (status, canceled) = emu
        .delete(&format!(
            "/v1/subscriptions/{}",
            sub["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, reqwest::StatusCode::OK);
    assert_eq!(canceled["status"], "canceled");
    let listed = emu
        .ok_get(&format!("/v1/subscriptions?customer={customer}"))
        .await;
    assert!(
        listed["data"].as_array().unwrap().is_empty(),
        "canceled ones are hidden by default"
    );
    let all = emu
        .ok_get(&format!("/v1/subscriptions?customer={customer}&status=all"))
        .await;
    assert_eq!(all["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn advancing_the_global_clock_renews_subscriptions_on_no_test_clock() {
    let emu = spawn_emulator().await;
    let price = emu.monthly_price(900, "usd").await;
    let session = emu.subscription_session(&price, &[]).await;
    emu.pay_hosted(&session, "4242424242424242", &[]).await;
    emu.control("/clock/advance", json!({"seconds": 32 * DAY}))
        .await;
    let invoices = emu.ok_get("/v1/invoices?status=paid").await;
    assert_eq!(invoices["data"].as_array().unwrap().len(), 2);
    assert_eq!(invoices["data"][0]["billing_reason"], "subscription_cycle");
}

#[tokio::test]
async fn trial_from_checkout_warns_then_charges_when_it_ends() {
    let emu = spawn_emulator().await;
    let clock_id = emu.test_clock().await;
    let customer = emu.customer_on_clock(&clock_id, "trial@example.com").await;
    let customer_id = customer.as_str();
    let price = emu.monthly_price(1000, "usd").await;
    let session = emu
        .subscription_session(
            &price,
            &[
                ("customer", customer_id),
                ("subscription_data[trial_period_days]", "14"),
            ],
        )
        .await;
    assert_eq!(session["amount_total"], 0);
    let page = emu.page_text(session["url"].as_str().unwrap()).await;
    assert!(page.contains("Free trial") && page.contains("14 days"));
    emu.pay_hosted(&session, "4242424242424242", &[]).await;

    let sub = emu
        .ok_get(&format!("/v1/subscriptions?customer={customer_id}"))
        .await["data"][0]
        .clone();
    assert_eq!(sub["status"], "trialing");
    let trial_end = sub["trial_end"].as_i64().unwrap();
    assert_eq!(trial_end - sub["trial_start"].as_i64().unwrap(), 14 * DAY);
    assert_eq!(sub["items"]["data"][0]["current_period_end"], trial_end);
    let first = &emu
        .ok_get(&format!("/v1/invoices?customer={customer_id}"))
        .await["data"][0];
    assert_eq!(
        (first["total"].as_i64(), first["status"].as_str()),
        (Some(0), Some("paid"))
    );

    advance(&emu, &clock_id, 12 * DAY).await;
    assert!(emu
        .event_types()
        .await
        .contains(&"customer.subscription.trial_will_end".to_owned()));
    assert_eq!(
        emu.ok_get(&format!(
            "/v1/subscriptions/{}",
            sub["id"].as_str().unwrap()
        ))
        .await["status"],
        "trialing"
    );

    advance(&emu, &clock_id, 3 * DAY).await;
    let active = emu
        .ok_get(&format!(
            "/v1/subscriptions/{}",
            sub["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(active["status"], "active");
    let charged = &emu
        .ok_get(&format!("/v1/invoices?customer={customer_id}"))
        .await["data"][0];
    assert_eq!(charged["amount_paid"], 1000);
    assert_eq!(charged["period_start"], trial_end);
}

#[tokio::test]
async fn a_renewal_with_automatic_tax_waits_in_draft_until_the_address_is_located() {
    let emu = spawn_emulator().await;
    emu.control("/tax", json!({ "enabled": true })).await;
    let clock = emu.test_clock().await;
    let customer = emu.customer_on_clock(&clock, "held@example.com").await;
    let price = emu.monthly_price(1000, "eur").await;
    let session = emu
        .subscription_session(
            &price,
            &[("customer", &customer), ("automatic_tax[enabled]", "true")],
        )
        .await;
    emu.pay_hosted(&session, "4242424242424242", &[]).await;
    let sub = emu
        .ok_get(&format!("/v1/subscriptions?customer={customer}"))
        .await["data"][0]
        .clone();
    let sub_id = sub["id"].as_str().unwrap();
    let address = |postal: &'static str| {
        [
            ("address[line1]", "1 Unter den Linden"),
            ("address[city]", "Berlin"),
            ("address[postal_code]", postal),
            ("address[country]", "DE"),
        ]
    };
    emu.ok_post(&format!("/v1/customers/{customer}"), &address("1"))
        .await;
    advance(&emu, &clock, 32 * DAY).await;

    let renewed = emu.ok_get(&format!("/v1/subscriptions/{sub_id}")).await;
    assert_eq!(
        renewed["status"], "active",
        "a held renewal is not a failed payment"
    );
    let held = emu.invoice(&renewed["latest_invoice"]).await;
    assert_eq!(held["status"], "draft");
    assert_eq!(held["automatic_tax"]["status"], "requires_location_inputs");
    let invoice_id = held["id"].as_str().unwrap();
    let (status, body) = emu
        .post(&format!("/v1/invoices/{invoice_id}/finalize"), &[])
        .await;
    assert_eq!(status, reqwest::StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "customer_tax_location_invalid");

    emu.ok_post(&format!("/v1/customers/{customer}"), &address("10115"))
        .await;
    let finalized = emu
        .ok_post(&format!("/v1/invoices/{invoice_id}/finalize"), &[])
        .await;
    assert_eq!(finalized["status"], "open");
    assert_eq!(
        finalized["total"], 1190,
        "German VAT once the address is located"
    );
    let paid = emu
        .ok_post(&format!("/v1/invoices/{invoice_id}/pay"), &[])
        .await;
    assert_eq!(paid["status"], "paid");
}
