//! The "done when" script, driven through async-stripe (the client Paydesk uses) with
//! only its base URL pointed at the emulator.
#![allow(clippy::unwrap_used)]

mod common;

use common::{spawn_emulator, Receiver};
use stripe_billing::subscription::ListSubscription;
use stripe_billing::test_helpers_test_clock::{
    AdvanceTestHelpersTestClock, CreateTestHelpersTestClock,
};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, RetrieveCheckoutSession,
};
use stripe_core::customer::{CreateCustomer, RetrieveCustomer, RetrieveCustomerReturned};
use stripe_core::event::ListEvent;
use stripe_product::price::{
    CreatePrice, CreatePriceRecurring, CreatePriceRecurringInterval, RetrievePrice,
};
use stripe_product::product::CreateProduct;

#[tokio::test]
async fn async_stripe_runs_the_checkout_and_renewal_script_against_the_emulator() {
    let emu = spawn_emulator().await;
    let receiver = Receiver::start(0).await;
    let endpoint = emu
        .ok_post(
            "/v1/webhook_endpoints",
            &[("url", &receiver.url), ("enabled_events[]", "*")],
        )
        .await;
    let secret = endpoint["secret"].as_str().unwrap().to_owned();
    let client = stripe::ClientBuilder::new(&emu.key)
        .url(&emu.running.base_url)
        .build()
        .unwrap();

    let product = CreateProduct::new("Pro").send(&client).await.unwrap();
    let monthly = CreatePrice::new(stripe_types::Currency::USD)
        .product(product.id.as_str())
        .unit_amount(1000)
        .recurring(CreatePriceRecurring::new(
            CreatePriceRecurringInterval::Month,
        ))
        .send(&client)
        .await
        .unwrap();
    let yearly = CreatePrice::new(stripe_types::Currency::USD)
        .product(product.id.as_str())
        .unit_amount(10000)
        .recurring(CreatePriceRecurring::new(
            CreatePriceRecurringInterval::Year,
        ))
        .send(&client)
        .await
        .unwrap();
    assert_eq!(yearly.unit_amount, Some(10000));

    let clock = CreateTestHelpersTestClock::new(chrono::Utc::now().timestamp())
        .send(&client)
        .await
        .unwrap();
    let customer = CreateCustomer::new()
        .email("script@example.com")
        .test_clock(clock.id.as_str())
        .send(&client)
        .await
        .unwrap();

    let mut item = CreateCheckoutSessionLineItems::new();
    item.price = Some(monthly.id.to_string());
    item.quantity = Some(1);
    let session = CreateCheckoutSession::new()
        .mode(stripe_shared::CheckoutSessionMode::Subscription)
        .customer(customer.id.as_str())
        .line_items(vec![item])
        .success_url("https://paydesk.test/done?session_id={CHECKOUT_SESSION_ID}")
        .send(&client)
        .await
        .unwrap();
    let hosted = serde_json::json!({ "url": session.url.clone().unwrap() });
    let paid = emu.pay_hosted(&hosted, "4242 4242 4242 4242", &[]).await;
    assert_eq!(paid.status(), reqwest::StatusCode::SEE_OTHER);

    let completed = RetrieveCheckoutSession::new(session.id.as_str())
        .expand(vec!["line_items".to_owned()])
        .send(&client)
        .await
        .unwrap();
    assert_eq!(
        completed.status,
        Some(stripe_shared::CheckoutSessionStatus::Complete)
    );
    assert_eq!(completed.line_items.unwrap().data.len(), 1);

    let subs = ListSubscription::new()
        .customer(customer.id.as_str())
        .send(&client)
        .await
        .unwrap();
    assert_eq!(subs.data.len(), 1);
    assert_eq!(
        subs.data[0].status,
        stripe_shared::SubscriptionStatus::Active
    );

    let retrieved = RetrieveCustomer::new(customer.id.as_str())
        .expand(vec!["tax".to_owned()])
        .send(&client)
        .await
        .unwrap();
    assert!(matches!(retrieved, RetrieveCustomerReturned::Customer(_)));

    for event_type in [
        "checkout.session.completed",
        "customer.subscription.created",
        "invoice.paid",
    ] {
        let event = receiver.wait_for(event_type).await;
        let raw = receiver
            .all()
            .into_iter()
            .find(|r| r.body.contains(event["id"].as_str().unwrap()))
            .unwrap();
        stripe_webhook::Webhook::construct_event(&raw.body, &raw.signature, &secret).unwrap();
    }

    let month_later = clock.frozen_time + 32 * 86_400;
    AdvanceTestHelpersTestClock::new(clock.id.as_str(), month_later)
        .send(&client)
        .await
        .unwrap();
    for _ in 0..100 {
        if receiver
            .events()
            .iter()
            .filter(|e| e["type"] == "invoice.paid")
            .count()
            >= 2
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let renewals: Vec<_> = receiver
        .events()
        .into_iter()
        .filter(|e| {
            e["type"] == "invoice.paid"
                && e["data"]["object"]["billing_reason"] == "subscription_cycle"
        })
        .collect();
    assert_eq!(renewals.len(), 1, "the renewal's invoice.paid arrived");

    let events = ListEvent::new().limit(100).send(&client).await.unwrap();
    assert!(events.data.len() > 10);

    let missing = RetrievePrice::new("price_missing").send(&client).await;
    match missing {
        Err(stripe::StripeError::Stripe(error, 404)) => {
            assert_eq!(
                error.code,
                Some(stripe_shared::ApiErrorsCode::ResourceMissing)
            );
        }
        other => panic!("expected a 404 Stripe error, got {other:?}"),
    }
}
