//! Manual tax rates (`line_items[N][tax_rates][]`, `items[N][tax_rates][]`, `default_tax_rates[]`):
//! shown on the hosted page, charged, and carried by invoices and renewals.
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::{spawn_emulator, TestEmulator};
use serde_json::Value;

/// A 19% VAT rate, exclusive or inclusive; returns its id.
async fn vat(emu: &TestEmulator, inclusive: bool) -> String {
    let rate = emu
        .ok_post(
            "/v1/tax_rates",
            &[
                ("display_name", "VAT"),
                ("percentage", "19"),
                ("inclusive", if inclusive { "true" } else { "false" }),
            ],
        )
        .await;
    rate["id"].as_str().unwrap().to_owned()
}

/// A one-time EUR price; returns its id.
async fn one_time_price(emu: &TestEmulator, amount: &str) -> String {
    let product = emu.ok_post("/v1/products", &[("name", "Setup")]).await;
    let price = emu
        .ok_post(
            "/v1/prices",
            &[
                ("product", product["id"].as_str().unwrap()),
                ("currency", "eur"),
                ("unit_amount", amount),
            ],
        )
        .await;
    price["id"].as_str().unwrap().to_owned()
}

/// The payment intent that paid an invoice.
async fn invoice_payment_intent(emu: &TestEmulator, invoice: &Value) -> Value {
    let pi = invoice["payments"]["data"][0]["payment"]["payment_intent"]
        .as_str()
        .unwrap();
    emu.ok_get(&format!("/v1/payment_intents/{pi}")).await
}

#[tokio::test]
async fn exclusive_rate_is_added_on_checkout_the_invoice_and_every_renewal() {
    let emu = spawn_emulator().await;
    let rate = vat(&emu, false).await;
    let price = emu.monthly_price(1000, "eur").await;
    let clock = emu.test_clock().await;
    let customer = emu.customer_on_clock(&clock, "taxed@example.com").await;
    let session = emu
        .subscription_session(
            &price,
            &[
                ("customer", customer.as_str()),
                ("line_items[0][tax_rates][0]", rate.as_str()),
            ],
        )
        .await;
    assert_eq!(session["amount_subtotal"], 1000);
    assert_eq!(session["total_details"]["amount_tax"], 190);
    assert_eq!(session["amount_total"], 1190);
    let page = emu.page_text(session["url"].as_str().unwrap()).await;
    assert!(page.contains("VAT (19%)"), "{page}");
    assert!(page.contains("€1.90") && page.contains("€11.90"), "{page}");

    emu.pay_hosted(&session, "4242424242424242", &[]).await;
    let sub = emu
        .ok_get(&format!("/v1/subscriptions?customer={customer}"))
        .await["data"][0]
        .clone();
    assert_eq!(sub["items"]["data"][0]["tax_rates"][0]["id"], rate.as_str());
    let first = emu.invoice(&sub["latest_invoice"]).await;
    assert_eq!(
        (
            &first["subtotal"],
            &first["total_excluding_tax"],
            &first["total"]
        ),
        (&1000.into(), &1000.into(), &1190.into())
    );
    assert_eq!(first["total_taxes"][0]["amount"], 190);
    assert_eq!(
        first["total_taxes"][0]["tax_rate_details"]["tax_rate"],
        rate.as_str()
    );
    let line_tax = &first["lines"]["data"][0]["taxes"][0];
    assert_eq!(line_tax["amount"], 190);
    assert_eq!(line_tax["tax_behavior"], "exclusive");
    assert_eq!(line_tax["taxable_amount"], 1000);
    assert_eq!(invoice_payment_intent(&emu, &first).await["amount"], 1190);

    emu.advance_test_clock(&clock, 32 * 86_400).await;
    let renewed = emu
        .ok_get(&format!(
            "/v1/subscriptions/{}",
            sub["id"].as_str().unwrap()
        ))
        .await;
    let renewal = emu.invoice(&renewed["latest_invoice"]).await;
    assert_eq!(renewal["billing_reason"], "subscription_cycle");
    assert_eq!(renewal["status"], "paid");
    assert_eq!(renewal["total"], 1190);
    assert_eq!(renewal["total_taxes"][0]["amount"], 190);
    assert_eq!(invoice_payment_intent(&emu, &renewal).await["amount"], 1190);
}

#[tokio::test]
async fn inclusive_rate_is_carved_out_of_a_one_time_payment_and_its_invoice() {
    let emu = spawn_emulator().await;
    let rate = vat(&emu, true).await;
    let price = one_time_price(&emu, "1190").await;
    let session = emu
        .ok_post(
            "/v1/checkout/sessions",
            &[
                ("mode", "payment"),
                ("line_items[0][price]", price.as_str()),
                ("line_items[0][quantity]", "1"),
                ("line_items[0][tax_rates][0]", rate.as_str()),
                ("customer_creation", "always"),
                ("invoice_creation[enabled]", "true"),
                ("success_url", "https://paydesk.test/success"),
            ],
        )
        .await;
    assert_eq!(session["amount_total"], 1190);
    assert_eq!(session["total_details"]["amount_tax"], 190);
    let page = emu.page_text(session["url"].as_str().unwrap()).await;
    assert!(page.contains("VAT (19% included)"), "{page}");
    assert!(page.contains("€1.90") && page.contains("€11.90"), "{page}");

    emu.pay_hosted(&session, "4242424242424242", &[]).await;
    let id = session["id"].as_str().unwrap();
    let done = emu
        .ok_get(&format!(
            "/v1/checkout/sessions/{id}?expand[]=payment_intent&expand[]=invoice&expand[]=line_items"
        ))
        .await;
    assert_eq!(done["amount_total"], 1190);
    assert_eq!(done["payment_intent"]["amount"], 1190);
    let item = &done["line_items"]["data"][0];
    assert_eq!(
        (&item["amount_tax"], &item["amount_total"]),
        (&190.into(), &1190.into())
    );
    assert_eq!(item["taxes"][0]["rate"]["id"], rate.as_str());
    let invoice = &done["invoice"];
    assert_eq!(invoice["total"], 1190);
    assert_eq!(invoice["total_excluding_tax"], 1000);
    assert_eq!(invoice["total_taxes"][0]["amount"], 190);
    assert_eq!(invoice["total_taxes"][0]["tax_behavior"], "inclusive");
    assert_eq!(invoice["total_taxes"][0]["taxable_amount"], 1000);
    assert_eq!(invoice["lines"]["data"][0]["taxes"][0]["amount"], 190);
}

/// Opens a subscription session for `price` taxed at `rate`, with `extra` parameters; returns
/// the refusal's status and error.
async fn refused(
    emu: &TestEmulator,
    price: &str,
    rate: &str,
    extra: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut form = vec![
        ("mode", "subscription"),
        ("line_items[0][price]", price),
        ("line_items[0][quantity]", "1"),
        ("line_items[0][tax_rates][0]", rate),
    ];
    form.extend_from_slice(extra);
    let (status, body) = emu.post("/v1/checkout/sessions", &form).await;
    (status, body["error"].clone())
}

#[tokio::test]
async fn unknown_inactive_or_automatic_combined_rates_are_refused() {
    let emu = spawn_emulator().await;
    let price = emu.monthly_price(1000, "eur").await;
    let param = "line_items[0][tax_rates][0]";
    let (status, error) = refused(&emu, &price, "txr_missing", &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["type"], "invalid_request_error");
    assert_eq!(error["code"], "resource_missing");
    assert_eq!(error["param"], param);

    let rate = vat(&emu, false).await;
    emu.ok_post(&format!("/v1/tax_rates/{rate}"), &[("active", "false")])
        .await;
    let (status, error) = refused(&emu, &price, &rate, &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["param"], param);

    let active = vat(&emu, false).await;
    let (status, error) =
        refused(&emu, &price, &active, &[("automatic_tax[enabled]", "true")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["param"], "line_items[0][tax_rates]");
}

#[tokio::test]
async fn api_subscriptions_apply_item_rates_over_default_rates() {
    let emu = spawn_emulator().await;
    let standard = vat(&emu, false).await;
    let reduced = emu
        .ok_post(
            "/v1/tax_rates",
            &[
                ("display_name", "VAT reduced"),
                ("percentage", "7"),
                ("inclusive", "false"),
            ],
        )
        .await;
    let reduced = reduced["id"].as_str().unwrap();
    let (customer, _) = emu.customer_with_card("pm_card_visa").await;
    let books = emu.monthly_price(1000, "eur").await;
    let support = emu.monthly_price(2000, "eur").await;
    let sub = emu
        .ok_post(
            "/v1/subscriptions",
            &[
                ("customer", customer.as_str()),
                ("items[0][price]", books.as_str()),
                ("items[0][tax_rates][0]", reduced),
                ("items[1][price]", support.as_str()),
                ("default_tax_rates[0]", standard.as_str()),
            ],
        )
        .await;
    assert_eq!(sub["status"], "active");
    assert_eq!(sub["default_tax_rates"][0]["id"], standard.as_str());
    assert_eq!(sub["items"]["data"][0]["tax_rates"][0]["id"], reduced);
    let invoice = emu.invoice(&sub["latest_invoice"]).await;
    // 1000 at 7% and 2000 at 19%.
    assert_eq!(invoice["total_excluding_tax"], 3000);
    assert_eq!(invoice["total"], 3000 + 70 + 380);
    assert_eq!(invoice["default_tax_rates"][0]["id"], standard.as_str());
    assert_eq!(invoice["lines"]["data"][0]["taxes"][0]["amount"], 70);
    assert_eq!(invoice["lines"]["data"][1]["taxes"][0]["amount"], 380);
    assert_eq!(invoice["total_taxes"].as_array().unwrap().len(), 2);

    let (status, body) = emu
        .post(
            "/v1/subscriptions",
            &[
                ("customer", customer.as_str()),
                ("items[0][price]", books.as_str()),
                ("default_tax_rates[0]", "txr_missing"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["param"], "default_tax_rates[0]");
}
