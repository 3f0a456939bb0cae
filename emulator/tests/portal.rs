#![allow(clippy::unwrap_used)]

mod common;

use common::{spawn_emulator, TestEmulator};
use reqwest::StatusCode;
use serde_json::Value;

/// A paying customer and a portal session for them. Returns (session, subscription).
async fn portal_for_subscriber(emu: &TestEmulator) -> (Value, Value) {
    let price = emu.monthly_price(1000, "usd").await;
    let session = emu.subscription_session(&price, &[]).await;
    emu.pay_hosted(&session, "4242424242424242", &[]).await;
    let sub = emu.ok_get("/v1/subscriptions").await["data"][0].clone();
    let portal = emu
        .ok_post(
            "/v1/billing_portal/sessions",
            &[
                ("customer", sub["customer"].as_str().unwrap()),
                ("return_url", "https://paydesk.test/account"),
            ],
        )
        .await;
    (portal, sub)
}

async fn post_form(
    emu: &TestEmulator,
    portal: &Value,
    action: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let url = format!("{}/{action}", portal["url"].as_str().unwrap());
    emu.http.post(url).form(form).send().await.unwrap()
}

#[tokio::test]
async fn portal_session_links_to_a_page_listing_plan_invoices_and_return_link() {
    let emu = spawn_emulator().await;
    let (portal, _) = portal_for_subscriber(&emu).await;
    assert!(portal["id"].as_str().unwrap().starts_with("bps_"));
    assert_eq!(portal["object"], "billing_portal.session");
    let parsed: Result<stripe_billing::BillingPortalSession, _> =
        serde_path_to_error::deserialize(portal.clone());
    assert!(parsed.is_ok(), "{:?}", parsed.err());
    let page = emu.page_text(portal["url"].as_str().unwrap()).await;
    assert!(page.contains("Pro"));
    assert!(page.contains("Cancel plan"));
    assert!(
        page.contains("visa ending in 4242")
            || page.contains("ending in 4242")
            || page.contains("Update card")
    );
    assert!(page.contains("https://paydesk.test/account"));
    assert!(page.contains("/invoices/in_"), "invoice link");
}

#[tokio::test]
async fn cancel_then_resume_at_period_end_from_the_portal() {
    let emu = spawn_emulator().await;
    let (portal, sub) = portal_for_subscriber(&emu).await;
    let sub_id = sub["id"].as_str().unwrap();
    let response = post_form(&emu, &portal, "cancel", &[("subscription", sub_id)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        emu.ok_get(&format!("/v1/subscriptions/{sub_id}")).await["cancel_at_period_end"],
        true
    );
    let page = emu.page_text(portal["url"].as_str().unwrap()).await;
    assert!(page.contains("Renew plan"));
    post_form(&emu, &portal, "resume", &[("subscription", sub_id)]).await;
    assert_eq!(
        emu.ok_get(&format!("/v1/subscriptions/{sub_id}")).await["cancel_at_period_end"],
        false
    );
    assert!(
        emu.event_types()
            .await
            .iter()
            .filter(|t| *t == "customer.subscription.updated")
            .count()
            >= 3
    );
}

#[tokio::test]
async fn switching_price_updating_card_and_address_from_the_portal() {
    let emu = spawn_emulator().await;
    let (portal, sub) = portal_for_subscriber(&emu).await;
    let sub_id = sub["id"].as_str().unwrap();
    let product = sub["items"]["data"][0]["price"]["product"]
        .as_str()
        .unwrap();
    let yearly = emu
        .ok_post(
            "/v1/prices",
            &[
                ("product", product),
                ("currency", "usd"),
                ("unit_amount", "10000"),
                ("recurring[interval]", "year"),
            ],
        )
        .await;
    let response = post_form(
        &emu,
        &portal,
        "switch",
        &[
            ("subscription", sub_id),
            ("price", yearly["id"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let switched = emu.ok_get(&format!("/v1/subscriptions/{sub_id}")).await;
    assert_eq!(switched["items"]["data"][0]["price"]["id"], yearly["id"]);

    post_form(
        &emu,
        &portal,
        "card",
        &[
            ("card_number", "5555 5555 5555 4444"),
            ("card_expiry", "01 / 30"),
        ],
    )
    .await;
    let customer = emu
        .ok_get(&format!(
            "/v1/customers/{}",
            sub["customer"].as_str().unwrap()
        ))
        .await;
    let pm = customer["invoice_settings"]["default_payment_method"]
        .as_str()
        .unwrap();
    assert_eq!(
        emu.ok_get(&format!("/v1/payment_methods/{pm}")).await["card"]["last4"],
        "4444"
    );
    assert_eq!(
        emu.ok_get(&format!("/v1/subscriptions/{sub_id}")).await["default_payment_method"],
        pm
    );

    post_form(
        &emu,
        &portal,
        "address",
        &[
            ("line1", "2 Side St"),
            ("city", "Paris"),
            ("postal_code", "75001"),
            ("country", "fr"),
        ],
    )
    .await;
    let customer = emu
        .ok_get(&format!(
            "/v1/customers/{}?expand[]=tax",
            sub["customer"].as_str().unwrap()
        ))
        .await;
    assert_eq!(customer["address"]["country"], "FR");
    assert_eq!(customer["tax"]["automatic_tax"], "supported");

    let declined = post_form(
        &emu,
        &portal,
        "card",
        &[
            ("card_number", "4000000000000002"),
            ("card_expiry", "01 / 30"),
        ],
    )
    .await;
    assert_eq!(declined.status(), StatusCode::PAYMENT_REQUIRED);
    assert!(declined
        .text()
        .await
        .unwrap()
        .contains("Your card was declined."));
}

#[tokio::test]
async fn portal_cannot_touch_another_customers_subscription() {
    let emu = spawn_emulator().await;
    let (_, sub) = portal_for_subscriber(&emu).await;
    let stranger = emu
        .ok_post("/v1/customers", &[("email", "other@example.com")])
        .await;
    let portal = emu
        .ok_post(
            "/v1/billing_portal/sessions",
            &[("customer", stranger["id"].as_str().unwrap())],
        )
        .await;
    let response = post_form(
        &emu,
        &portal,
        "cancel",
        &[("subscription", sub["id"].as_str().unwrap())],
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        emu.ok_get(&format!(
            "/v1/subscriptions/{}",
            sub["id"].as_str().unwrap()
        ))
        .await["cancel_at_period_end"],
        false
    );
}

#[tokio::test]
async fn tax_ids_are_added_and_removed_from_the_portal() {
    let emu = spawn_emulator().await;
    let (portal, sub) = portal_for_subscriber(&emu).await;
    let customer = sub["customer"].as_str().unwrap();
    let bad = post_form(&emu, &portal, "tax_id", &[("tax_id", "hello")]).await;
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("not valid"));
    let added = post_form(&emu, &portal, "tax_id", &[("tax_id", "DE123456789")]).await;
    assert_eq!(added.status(), 303);
    let ids = emu
        .ok_get(&format!("/v1/customers/{customer}/tax_ids"))
        .await;
    assert_eq!(ids["data"][0]["type"], "eu_vat");
    let id = ids["data"][0]["id"].as_str().unwrap().to_owned();
    let page = emu.page_text(portal["url"].as_str().unwrap()).await;
    assert!(page.contains("DE123456789"));
    let removed = post_form(&emu, &portal, "remove_tax_id", &[("id", &id)]).await;
    assert_eq!(removed.status(), 303);
    let ids = emu
        .ok_get(&format!("/v1/customers/{customer}/tax_ids"))
        .await;
    assert_eq!(ids["data"].as_array().unwrap().len(), 0);
    let types = emu.event_types().await;
    let tail: Vec<&str> = types
        .iter()
        .rev()
        .take(4)
        .rev()
        .map(String::as_str)
        .collect();
    assert_eq!(
        tail,
        [
            "customer.tax_id.created",
            "customer.updated",
            "customer.tax_id.deleted",
            "customer.updated"
        ]
    );
}
