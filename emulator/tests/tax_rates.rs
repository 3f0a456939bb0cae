//! Tax rate objects: managed through the API, and the automatic ones invoices name are fetchable.
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::spawn_emulator;
use stripe_product::tax_rate::{CreateTaxRate, RetrieveTaxRate, UpdateTaxRate};

#[tokio::test]
async fn tax_rates_are_created_listed_and_deactivated_through_async_stripe() {
    let emu = spawn_emulator().await;
    let client = stripe::ClientBuilder::new(&emu.key)
        .url(&emu.running.base_url)
        .build()
        .unwrap();
    let vat = CreateTaxRate::new("VAT", false, 19.0)
        .country("DE")
        .jurisdiction("DE")
        .send(&client)
        .await
        .unwrap();
    assert_eq!(vat.percentage, 19.0);
    assert_eq!(vat.country.as_deref(), Some("DE"));
    assert!(vat.active && !vat.inclusive);
    let reduced = CreateTaxRate::new("MwSt ermäßigt", true, 7.5)
        .send(&client)
        .await
        .unwrap();
    assert_eq!(reduced.percentage, 7.5);
    let off = UpdateTaxRate::new(vat.id.clone())
        .active(false)
        .send(&client)
        .await
        .unwrap();
    assert!(!off.active);
    assert!(
        !RetrieveTaxRate::new(vat.id.clone())
            .send(&client)
            .await
            .unwrap()
            .active
    );
    let active = emu.ok_get("/v1/tax_rates?active=true").await;
    assert_eq!(active["data"].as_array().unwrap().len(), 1);
    assert_eq!(active["data"][0]["id"], reduced.id.as_str());
    let (status, body) = emu
        .post(
            "/v1/tax_rates",
            &[
                ("display_name", "Bad"),
                ("inclusive", "false"),
                ("percentage", "120"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = emu.get("/v1/tax_rates/txr_missing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn automatic_tax_rates_on_invoices_can_be_fetched() {
    let emu = spawn_emulator().await;
    let price = emu.monthly_price(1000, "usd").await;
    let session = emu
        .subscription_session(&price, &[("automatic_tax[enabled]", "true")])
        .await;
    emu.pay_hosted(&session, "4242424242424242", &[]).await;
    let done = emu
        .ok_get(&format!(
            "/v1/checkout/sessions/{}",
            session["id"].as_str().unwrap()
        ))
        .await;
    let invoice = emu.invoice(&done["invoice"]).await;
    let rate_id = invoice["total_taxes"][0]["tax_rate_details"]["tax_rate"]
        .as_str()
        .unwrap();
    let rate = emu.ok_get(&format!("/v1/tax_rates/{rate_id}")).await;
    assert_eq!(rate["percentage"], 19);
    assert_eq!(rate["country"], "DE");
    assert_eq!(rate["display_name"], "VAT");
}
