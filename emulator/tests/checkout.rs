#![allow(clippy::unwrap_used)]

mod common;

use common::spawn_emulator;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn subscription_session_has_stripe_shape_and_hosted_url() {
    let emu = spawn_emulator().await;
    let price = emu.monthly_price(1999, "usd").await;
    let session = emu
        .subscription_session(
            &price,
            &[
                ("client_reference_id", "acct_42"),
                ("metadata[account]", "42"),
                ("allow_promotion_codes", "true"),
                ("tax_id_collection[enabled]", "true"),
                ("customer_email", "buyer@example.com"),
            ],
        )
        .await;
    let id = session["id"].as_str().unwrap();
    assert!(id.starts_with("cs_test_"));
    assert_eq!(session["object"], "checkout.session");
    assert_eq!(session["status"], "open");
    assert_eq!(session["payment_status"], "unpaid");
    assert_eq!(session["amount_total"], 1999);
    assert_eq!(session["client_reference_id"], "acct_42");
    assert_eq!(session["allow_promotion_codes"], true);
    assert_eq!(session["tax_id_collection"]["enabled"], true);
    assert_eq!(
        session["success_url"],
        format!("https://paydesk.test/success?session_id={id}")
    );
    assert_eq!(session["url"], emu.url(&format!("/c/pay/{id}")));
    assert!(session.get("line_items").is_none());

    let expanded = emu
        .ok_get(&format!("/v1/checkout/sessions/{id}?expand[]=line_items"))
        .await;
    assert_eq!(expanded["line_items"]["data"][0]["price"]["id"], price);
    assert_eq!(expanded["line_items"]["data"][0]["amount_total"], 1999);

    let page = emu.page_text(session["url"].as_str().unwrap()).await;
    assert!(page.contains("Pro × 1 per month"), "{page}");
    assert!(page.contains("$19.99"));
    assert!(page.contains("name=\"card_number\""));
    assert!(page.contains("name=\"tax_id\""));
}

#[tokio::test]
async fn paying_with_4242_creates_subscription_invoice_and_redirects() {
    let emu = spawn_emulator().await;
    let price = emu.monthly_price(1000, "eur").await;
    let session = emu
        .subscription_session(&price, &[("subscription_data[metadata][account]", "42")])
        .await;
    let id = session["id"].as_str().unwrap();

    let response = emu.pay_hosted(&session, "4242 4242 4242 4242", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(
        location,
        format!("https://paydesk.test/success?session_id={id}")
    );

    let done = emu
        .ok_get(&format!(
            "/v1/checkout/sessions/{id}?expand[]=subscription&expand[]=invoice"
        ))
        .await;
    assert_eq!(done["status"], "complete");
    assert_eq!(done["payment_status"], "paid");
    let customer = done["customer"].as_str().unwrap();
    assert!(customer.starts_with("cus_"));
    let sub = &done["subscription"];
    assert_eq!(sub["status"], "active");
    assert_eq!(sub["metadata"]["account"], "42");
    let item = &sub["items"]["data"][0];
    let (start, end) = (
        item["current_period_start"].as_i64().unwrap(),
        item["current_period_end"].as_i64().unwrap(),
    );
    assert!(
        (28 * 86400..=31 * 86400).contains(&(end - start)),
        "a month-long period"
    );
    let invoice = &done["invoice"];
    assert_eq!(invoice["status"], "paid");
    assert_eq!(invoice["amount_paid"], 1000);
    assert_eq!(invoice["billing_reason"], "subscription_create");
    assert_eq!(
        invoice["parent"]["subscription_details"]["subscription"],
        sub["id"]
    );
    let pi_id = invoice["payments"]["data"][0]["payment"]["payment_intent"]
        .as_str()
        .unwrap();
    let pi = emu
        .ok_get(&format!(
            "/v1/payment_intents/{pi_id}?expand[]=latest_charge"
        ))
        .await;
    assert_eq!(pi["status"], "succeeded");
    assert_eq!(pi["latest_charge"]["paid"], true);
    assert_eq!(
        pi["latest_charge"]["payment_method_details"]["card"]["last4"],
        "4242"
    );

    let cust = emu.ok_get(&format!("/v1/customers/{customer}")).await;
    assert_eq!(cust["email"], "buyer@example.com");
    assert_eq!(cust["address"]["country"], "DE");
    let subs = emu
        .ok_get(&format!("/v1/subscriptions?customer={customer}"))
        .await;
    assert_eq!(subs["data"].as_array().unwrap().len(), 1);
    let invoices = emu
        .ok_get(&format!(
            "/v1/invoices?subscription={}",
            sub["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(invoices["data"].as_array().unwrap().len(), 1);

    let types = emu.event_types().await;
    for expected in [
        "customer.created",
        "payment_method.attached",
        "customer.subscription.created",
        "invoice.created",
        "invoice.finalized",
        "payment_intent.succeeded",
        "invoice.paid",
        "invoice.payment_succeeded",
        "customer.subscription.updated",
        "checkout.session.completed",
    ] {
        assert!(
            types.contains(&expected.to_owned()),
            "missing {expected} in {types:?}"
        );
    }
    assert_eq!(types.last().unwrap(), "checkout.session.completed");

    let again = emu.page_text(session["url"].as_str().unwrap()).await;
    assert!(again.contains("already complete"));
}

#[tokio::test]
async fn checkout_with_declined_card_shows_message_and_creates_nothing() {
    let emu = spawn_emulator().await;
    let price = emu.monthly_price(1000, "usd").await;
    let session = emu.subscription_session(&price, &[]).await;
    let events_before = emu.event_types().await.len();

    let response = emu.pay_hosted(&session, "4000 0000 0000 0002", &[]).await;
    assert_eq!(response.status(), StatusCode::PAYMENT_REQUIRED);
    let page = response.text().await.unwrap();
    assert!(page.contains("Your card was declined."));

    let after = emu
        .ok_get(&format!(
            "/v1/checkout/sessions/{}",
            session["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(after["status"], "open");
    assert!(emu.ok_get("/v1/customers").await["data"]
        .as_array()
        .unwrap()
        .is_empty());
    assert!(emu.ok_get("/v1/subscriptions").await["data"]
        .as_array()
        .unwrap()
        .is_empty());
    assert!(emu.ok_get("/v1/invoices").await["data"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(emu.event_types().await.len(), events_before);
}

#[tokio::test]
async fn card_needing_authentication_asks_before_paying() {
    let emu = spawn_emulator().await;
    let price = emu.monthly_price(1000, "usd").await;
    let session = emu.subscription_session(&price, &[]).await;

    let response = emu.pay_hosted(&session, "4000 0025 0000 3155", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(page.contains("Complete authentication"));
    assert!(
        emu.ok_get("/v1/subscriptions").await["data"]
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing before authentication"
    );

    let done = emu
        .authenticate_hosted(&session, "4000 0025 0000 3155", "complete")
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let subs = emu.ok_get("/v1/subscriptions").await;
    assert_eq!(subs["data"][0]["status"], "active");
}

#[tokio::test]
async fn failed_authentication_creates_nothing() {
    let emu = spawn_emulator().await;
    let price = emu.monthly_price(1000, "usd").await;
    let session = emu.subscription_session(&price, &[]).await;
    let response = emu
        .authenticate_hosted(&session, "4000002500003155", "fail")
        .await;
    assert_eq!(response.status(), StatusCode::PAYMENT_REQUIRED);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("unable to authenticate"));
    assert!(emu.ok_get("/v1/customers").await["data"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn payment_mode_charges_once_without_subscription() {
    let emu = spawn_emulator().await;
    let session = emu
        .ok_post(
            "/v1/checkout/sessions",
            &[
                ("mode", "payment"),
                ("line_items[0][price_data][currency]", "jpy"),
                ("line_items[0][price_data][unit_amount]", "1500"),
                (
                    "line_items[0][price_data][product_data][name]",
                    "Sticker pack",
                ),
                ("line_items[0][quantity]", "2"),
                ("success_url", "https://paydesk.test/thanks"),
            ],
        )
        .await;
    assert_eq!(session["amount_total"], 3000);
    let page = emu.page_text(session["url"].as_str().unwrap()).await;
    assert!(
        page.contains("¥3000"),
        "zero-decimal currency shown in whole units"
    );
    let response = emu.pay_hosted(&session, "4242424242424242", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let done = emu
        .ok_get(&format!(
            "/v1/checkout/sessions/{}?expand[]=payment_intent",
            session["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(done["payment_intent"]["status"], "succeeded");
    assert_eq!(done["payment_intent"]["amount"], 3000);
    assert!(
        done["customer"].is_null(),
        "payment mode creates no customer unless asked"
    );
    assert!(done["subscription"].is_null());
}

#[tokio::test]
async fn setup_mode_saves_a_card_for_an_existing_customer() {
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
                ("success_url", "https://paydesk.test/saved"),
            ],
        )
        .await;
    let response = emu.pay_hosted(&session, "4242424242424242", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let done = emu
        .ok_get(&format!(
            "/v1/checkout/sessions/{}?expand[]=setup_intent",
            session["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(done["setup_intent"]["status"], "succeeded");
    let pms = emu
        .ok_get(&format!("/v1/customers/{cid}/payment_methods"))
        .await;
    assert_eq!(pms["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn automatic_tax_fails_while_stripe_tax_is_off() {
    let emu = spawn_emulator().await;
    let price = emu.monthly_price(1000, "usd").await;
    emu.control("/tax", json!({"enabled": false})).await;
    let (status, body) = emu
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "subscription"),
                ("line_items[0][price]", &price),
                ("line_items[0][quantity]", "1"),
                ("success_url", "https://x.test/"),
                ("automatic_tax[enabled]", "true"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["param"], "automatic_tax[enabled]");
}

#[tokio::test]
async fn automatic_tax_adds_german_vat_to_the_first_invoice() {
    let emu = spawn_emulator().await;
    let price = emu.monthly_price(1000, "eur").await;
    let session = emu
        .subscription_session(&price, &[("automatic_tax[enabled]", "true")])
        .await;
    let page = emu.page_text(session["url"].as_str().unwrap()).await;
    assert!(page.contains("Calculated from your billing address"));
    assert!(page.contains("Total before tax") && !page.contains("Total due today"));
    assert_eq!(
        session["automatic_tax"]["status"],
        "requires_location_inputs"
    );
    emu.pay_hosted(&session, "4242424242424242", &[]).await;
    let done = emu
        .ok_get(&format!(
            "/v1/checkout/sessions/{}?expand[]=invoice",
            session["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(done["invoice"]["subtotal"], 1000);
    assert_eq!(done["invoice"]["total"], 1190);
    assert_eq!(done["invoice"]["total_taxes"][0]["amount"], 190);
    assert_eq!(done["amount_total"], 1190);
    assert_eq!(done["total_details"]["amount_tax"], 190);
    assert_eq!(done["automatic_tax"]["status"], "complete");
}

#[tokio::test]
async fn session_rejects_recurring_price_in_payment_mode_and_both_customer_params() {
    let emu = spawn_emulator().await;
    let price = emu.monthly_price(1000, "usd").await;
    let (status, body) = emu
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "payment"),
                ("line_items[0][price]", &price),
                ("line_items[0][quantity]", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["param"], "line_items[0][price]");
    let customer = emu.ok_post("/v1/customers", &[]).await;
    let (status, _) = emu
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "subscription"),
                ("line_items[0][price]", &price),
                ("line_items[0][quantity]", "1"),
                ("customer", customer["id"].as_str().unwrap()),
                ("customer_email", "a@b.c"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = emu
        .post("/v1/checkout/sessions", &[("line_items[0][price]", &price)])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["param"], "mode");
}

#[tokio::test]
async fn expired_session_cannot_be_paid() {
    let emu = spawn_emulator().await;
    let price = emu.monthly_price(1000, "usd").await;
    let session = emu.subscription_session(&price, &[]).await;
    let expired = emu
        .ok_post(
            &format!(
                "/v1/checkout/sessions/{}/expire",
                session["id"].as_str().unwrap()
            ),
            &[],
        )
        .await;
    assert_eq!(expired["status"], "expired");
    let response = emu.pay_hosted(&session, "4242424242424242", &[]).await;
    assert_eq!(response.status(), StatusCode::GONE);
    assert!(emu.ok_get("/v1/subscriptions").await["data"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn tax_id_typed_at_checkout_is_saved_on_the_customer() {
    let emu = spawn_emulator().await;
    let price = emu.monthly_price(1000, "eur").await;
    let session = emu
        .subscription_session(&price, &[("tax_id_collection[enabled]", "true")])
        .await;
    let bad = emu
        .pay_hosted(&session, "4242424242424242", &[("tax_id", "not-a-vat")])
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(bad
        .text()
        .await
        .unwrap()
        .contains("tax ID you entered is not valid"));
    assert!(emu.ok_get("/v1/customers").await["data"]
        .as_array()
        .unwrap()
        .is_empty());

    let ok = emu
        .pay_hosted(&session, "4242424242424242", &[("tax_id", "DE123456789")])
        .await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let done = emu
        .ok_get(&format!(
            "/v1/checkout/sessions/{}",
            session["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        done["customer_details"]["tax_ids"][0],
        json!({"type": "eu_vat", "value": "DE123456789"})
    );
    let tax_ids = emu
        .ok_get(&format!(
            "/v1/customers/{}/tax_ids",
            done["customer"].as_str().unwrap()
        ))
        .await;
    assert_eq!(tax_ids["data"][0]["value"], "DE123456789");
}

#[tokio::test]
async fn hosted_invoice_page_and_pdf_are_served() {
    let emu = spawn_emulator().await;
    let price = emu.monthly_price(1234, "usd").await;
    let session = emu.subscription_session(&price, &[]).await;
    emu.pay_hosted(&session, "4242424242424242", &[]).await;
    let invoice = &emu.ok_get("/v1/invoices").await["data"][0];
    let page = emu
        .page_text(invoice["hosted_invoice_url"].as_str().unwrap())
        .await;
    assert!(page.contains("$12.34") && page.contains("paid"));
    let pdf = emu
        .http
        .get(invoice["invoice_pdf"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let bytes = pdf.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-1.4"));
    assert!(String::from_utf8_lossy(&bytes).contains("Total: $12.34"));
}
