//! Every object the emulator returns must deserialise into async-stripe's types (the client Paydesk
//! uses, generated for the same API version). serde_path_to_error names the exact field on failure.
#![allow(clippy::unwrap_used)]

mod common;

use common::{spawn_emulator, TestEmulator};
use serde::de::DeserializeOwned;
use serde_json::Value;

fn assert_shape<T: DeserializeOwned>(what: &str, value: &Value) {
    let result: Result<T, _> = serde_path_to_error::deserialize(value.clone());
    if let Err(error) = result {
        panic!(
            "{what} does not match async-stripe's type at `{}`: {}\n{value:#}",
            error.path(),
            error.inner()
        );
    }
}

/// Every event sent so far, each checked against async-stripe's `Event`.
async fn assert_events_shape(emu: &TestEmulator) {
    let events = emu.ok_get("/v1/events?limit=100").await;
    for event in events["data"].as_array().unwrap() {
        assert_shape::<stripe_shared::Event>(&format!("event {}", event["type"]), event);
    }
}

/// A session as it is now, with its line items expanded.
async fn session_with_line_items(emu: &TestEmulator, session: &Value) -> Value {
    emu.ok_get(&format!(
        "/v1/checkout/sessions/{}?expand[]=line_items",
        session["id"].as_str().unwrap()
    ))
    .await
}

/// Pays a subscription session opened with `extra` parameters; returns it open and completed.
async fn paid_session(emu: &TestEmulator, amount: i64, extra: &[(&str, &str)]) -> (Value, Value) {
    let price = emu.monthly_price(amount, "usd").await;
    let session = emu.subscription_session(&price, extra).await;
    emu.pay_hosted(&session, "4242424242424242", &[]).await;
    let done = emu.ok_get_id("/v1/checkout/sessions", &session["id"]).await;
    (session, done)
}

async fn paid_subscription(emu: &TestEmulator) -> (Value, Value) {
    paid_session(emu, 1000, &[("automatic_tax[enabled]", "true")]).await
}

#[tokio::test]
async fn catalog_and_customer_objects_match_async_stripe_types() {
    let emu = spawn_emulator().await;
    let product = emu
        .ok_post("/v1/products", &[("name", "Pro"), ("metadata[a]", "b")])
        .await;
    assert_shape::<stripe_shared::Product>("product", &product);
    let pid = product["id"].as_str().unwrap();
    let monthly = emu
        .ok_post(
            "/v1/prices",
            &[
                ("product", pid),
                ("currency", "usd"),
                ("unit_amount", "1000"),
                ("recurring[interval]", "month"),
            ],
        )
        .await;
    assert_shape::<stripe_shared::Price>("recurring price", &monthly);
    let once = emu
        .ok_post(
            "/v1/prices",
            &[
                ("product", pid),
                ("currency", "eur"),
                ("unit_amount", "1000"),
            ],
        )
        .await;
    assert_shape::<stripe_shared::Price>("one-time price", &once);
    let customer = emu
        .ok_post(
            "/v1/customers",
            &[
                ("email", "a@example.com"),
                ("address[country]", "DE"),
                ("address[postal_code]", "10115"),
                ("expand[]", "tax"),
            ],
        )
        .await;
    assert_shape::<stripe_shared::Customer>("customer with tax", &customer);
    let (_, deleted) = emu
        .delete(&format!(
            "/v1/customers/{}",
            customer["id"].as_str().unwrap()
        ))
        .await;
    assert_shape::<stripe_shared::DeletedCustomer>("deleted customer", &deleted);
    let clock = emu
        .ok_post(
            "/v1/test_helpers/test_clocks",
            &[("frozen_time", "1700000000")],
        )
        .await;
    assert_shape::<stripe_shared::TestHelpersTestClock>("test clock", &clock);
}

#[tokio::test]
async fn checkout_billing_and_payment_objects_match_async_stripe_types() {
    let emu = spawn_emulator().await;
    let (open, done) = paid_subscription(&emu).await;
    assert_shape::<stripe_shared::CheckoutSession>("open session", &open);
    assert_shape::<stripe_shared::CheckoutSession>("completed session", &done);
    let expanded = session_with_line_items(&emu, &done).await;
    assert_shape::<stripe_shared::CheckoutSession>("session with line items", &expanded);
    let sub = emu
        .ok_get_id("/v1/subscriptions", &done["subscription"])
        .await;
    assert_shape::<stripe_shared::Subscription>("subscription", &sub);
    let invoice = emu.invoice(&done["invoice"]).await;
    assert_shape::<stripe_shared::Invoice>("invoice", &invoice);
    let pi = emu
        .ok_get_id(
            "/v1/payment_intents",
            &invoice["payments"]["data"][0]["payment"]["payment_intent"],
        )
        .await;
    assert_shape::<stripe_shared::PaymentIntent>("payment intent", &pi);
    let charge = emu.ok_get_id("/v1/charges", &pi["latest_charge"]).await;
    assert_shape::<stripe_shared::Charge>("charge", &charge);
    let pm = emu
        .ok_get_id("/v1/payment_methods", &pi["payment_method"])
        .await;
    assert_shape::<stripe_shared::PaymentMethod>("payment method", &pm);
    assert_events_shape(&emu).await;
}

#[tokio::test]
async fn failed_payment_and_setup_objects_match_async_stripe_types() {
    let emu = spawn_emulator().await;
    let customer = emu
        .ok_post("/v1/customers", &[("email", "s@example.com")])
        .await;
    let cid = customer["id"].as_str().unwrap();
    let session = emu
        .ok_post(
            "/v1/checkout/sessions",
            &[
                ("mode", "setup"),
                ("currency", "usd"),
                ("customer", cid),
                ("success_url", "https://x.test/"),
            ],
        )
        .await;
    emu.pay_hosted(&session, "4242424242424242", &[]).await;
    let done = emu
        .ok_get(&format!(
            "/v1/checkout/sessions/{}?expand[]=setup_intent",
            session["id"].as_str().unwrap()
        ))
        .await;
    assert_shape::<stripe_shared::SetupIntent>("setup intent", &done["setup_intent"]);

    let clock = emu.test_clock().await;
    let on_clock = emu.customer_on_clock(&clock, "f@example.com").await;
    let price = emu.monthly_price(700, "usd").await;
    let sub = emu.subscribe_via_checkout(&price, &on_clock).await;
    emu.make_card_fail(&on_clock, sub["id"].as_str().unwrap())
        .await;
    emu.advance_test_clock(&clock, 32 * 86_400).await;
    let open = emu.ok_get("/v1/invoices?status=open").await;
    assert_shape::<stripe_shared::Invoice>("failed invoice", &open["data"][0]);
    let failed_pi = emu.ok_get("/v1/payment_intents?limit=1").await;
    assert_eq!(failed_pi["data"][0]["status"], "requires_payment_method");
    assert_shape::<stripe_shared::PaymentIntent>("failed payment intent", &failed_pi["data"][0]);
    let failed_charge = emu.ok_get("/v1/charges?limit=1").await;
    assert_shape::<stripe_shared::Charge>("failed charge", &failed_charge["data"][0]);
    assert_events_shape(&emu).await;
}

#[tokio::test]
async fn shape_check_rejects_an_object_missing_a_required_field() {
    let emu = spawn_emulator().await;
    let mut product = emu.ok_post("/v1/products", &[("name", "Pro")]).await;
    product.as_object_mut().unwrap().remove("active");
    let result: Result<stripe_shared::Product, _> = serde_path_to_error::deserialize(product);
    assert!(
        result.is_err(),
        "the checker must notice a missing required field"
    );
}

#[tokio::test]
async fn refund_and_api_payment_intent_objects_match_async_stripe_types() {
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
    assert_shape::<stripe_shared::PaymentIntent>("confirmed payment intent", &pi);
    let pending = emu
        .ok_post(
            "/v1/payment_intents",
            &[
                ("amount", "3000"),
                ("currency", "usd"),
                ("payment_method", "pm_card_authenticationRequired"),
                ("confirm", "true"),
            ],
        )
        .await;
    assert_shape::<stripe_shared::PaymentIntent>("requires_action payment intent", &pending);
    let refund = emu
        .ok_post(
            "/v1/refunds",
            &[
                ("charge", pi["latest_charge"].as_str().unwrap()),
                ("amount", "500"),
            ],
        )
        .await;
    assert_shape::<stripe_shared::Refund>("refund", &refund);
    let charge = emu.ok_get_id("/v1/charges", &pi["latest_charge"]).await;
    assert_shape::<stripe_shared::Charge>("partially refunded charge", &charge);
    assert_events_shape(&emu).await;
}

#[tokio::test]
async fn proration_invoice_matches_async_stripe_types() {
    let emu = spawn_emulator().await;
    let (_, done) = paid_subscription(&emu).await;
    let sub = emu
        .ok_get_id("/v1/subscriptions", &done["subscription"])
        .await;
    let product = sub["items"]["data"][0]["price"]["product"]
        .as_str()
        .unwrap();
    let pricier = emu
        .ok_post(
            "/v1/prices",
            &[
                ("product", product),
                ("currency", "usd"),
                ("unit_amount", "2000"),
                ("recurring[interval]", "month"),
            ],
        )
        .await;
    let updated = emu
        .ok_post(
            &format!("/v1/subscriptions/{}", sub["id"].as_str().unwrap()),
            &[
                (
                    "items[0][id]",
                    sub["items"]["data"][0]["id"].as_str().unwrap(),
                ),
                ("items[0][price]", pricier["id"].as_str().unwrap()),
                ("proration_behavior", "always_invoice"),
            ],
        )
        .await;
    assert_shape::<stripe_shared::Subscription>("updated subscription", &updated);
    let invoice = emu.invoice(&updated["latest_invoice"]).await;
    assert_shape::<stripe_shared::Invoice>("proration invoice", &invoice);
}

#[tokio::test]
async fn coupon_promotion_code_and_discounted_objects_match_async_stripe_types() {
    let emu = spawn_emulator().await;
    let coupon = emu
        .ok_post(
            "/v1/coupons",
            &[
                ("percent_off", "12.5"),
                ("duration", "repeating"),
                ("duration_in_months", "2"),
            ],
        )
        .await;
    assert_shape::<stripe_shared::Coupon>("coupon", &coupon);
    let promo = emu
        .ok_post(
            "/v1/promotion_codes",
            &[
                ("promotion[type]", "coupon"),
                ("promotion[coupon]", coupon["id"].as_str().unwrap()),
            ],
        )
        .await;
    assert_shape::<stripe_shared::PromotionCode>("promotion code", &promo);
    let rate = emu
        .ok_post(
            "/v1/tax_rates",
            &[
                ("display_name", "VAT"),
                ("inclusive", "false"),
                ("percentage", "19.5"),
            ],
        )
        .await;
    assert_shape::<stripe_shared::TaxRate>("tax rate", &rate);
    let promo_id = promo["id"].as_str().unwrap();
    let (session, done) =
        paid_session(&emu, 1000, &[("discounts[0][promotion_code]", promo_id)]).await;
    assert_shape::<stripe_shared::CheckoutSession>("discounted session", &session);
    let done = session_with_line_items(&emu, &done).await;
    assert_shape::<stripe_shared::CheckoutSession>("completed discounted session", &done);
    let invoice = emu.invoice(&done["invoice"]).await;
    assert_eq!(invoice["total"], 875);
    assert_shape::<stripe_shared::Invoice>("discounted invoice", &invoice);
    let sub = emu
        .ok_get_id("/v1/subscriptions", &done["subscription"])
        .await;
    assert_shape::<stripe_shared::Subscription>("discounted subscription", &sub);
}

#[tokio::test]
async fn manually_taxed_objects_match_async_stripe_types() {
    let emu = spawn_emulator().await;
    let rate = emu
        .ok_post(
            "/v1/tax_rates",
            &[
                ("display_name", "VAT"),
                ("inclusive", "true"),
                ("percentage", "19"),
            ],
        )
        .await;
    let rate_id = rate["id"].as_str().unwrap();
    let (_, done) = paid_session(&emu, 1190, &[("line_items[0][tax_rates][0]", rate_id)]).await;
    let done = session_with_line_items(&emu, &done).await;
    assert_eq!(done["line_items"]["data"][0]["taxes"][0]["amount"], 190);
    assert_shape::<stripe_shared::CheckoutSession>("manually taxed session", &done);
    let invoice = emu.invoice(&done["invoice"]).await;
    assert_eq!(invoice["total_taxes"][0]["amount"], 190);
    assert_shape::<stripe_shared::Invoice>("manually taxed invoice", &invoice);
    let sub = emu
        .ok_get_id("/v1/subscriptions", &done["subscription"])
        .await;
    assert_shape::<stripe_shared::Subscription>("manually taxed subscription", &sub);
}
