#![allow(clippy::unwrap_used)]

mod common;

use common::spawn_emulator;
use reqwest::StatusCode;

#[tokio::test]
async fn customer_is_created_updated_listed_by_email_and_deleted() {
    let emu = spawn_emulator().await;
    let customer = emu
        .ok_post(
            "/v1/customers",
            &[
                ("email", "ada@example.com"),
                ("name", "Ada"),
                ("address[country]", "DE"),
                ("address[postal_code]", "10115"),
            ],
        )
        .await;
    let id = customer["id"].as_str().unwrap();
    assert!(id.starts_with("cus_"));
    assert_eq!(customer["address"]["country"], "DE");
    assert!(customer["address"]["line1"].is_null());
    assert!(
        customer.get("tax").is_none(),
        "tax is only returned when expanded"
    );
    emu.ok_post("/v1/customers", &[("email", "bob@example.com")])
        .await;

    let updated = emu
        .ok_post(
            &format!("/v1/customers/{id}"),
            &[("address[city]", "Berlin"), ("name", "Ada L.")],
        )
        .await;
    assert_eq!(updated["address"]["city"], "Berlin");
    assert_eq!(updated["address"]["country"], "DE");
    assert_eq!(updated["name"], "Ada L.");

    let found = emu.ok_get("/v1/customers?email=ada@example.com").await;
    assert_eq!(found["data"].as_array().unwrap().len(), 1);
    assert_eq!(found["data"][0]["id"], id);

    let (status, deleted) = emu.delete(&format!("/v1/customers/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted["deleted"], true);
    let gone = emu.ok_get(&format!("/v1/customers/{id}")).await;
    assert_eq!(gone["deleted"], true);
    let types = emu.event_types().await;
    assert!(
        types.contains(&"customer.created".into())
            && types.contains(&"customer.updated".into())
            && types.contains(&"customer.deleted".into())
    );
}

#[tokio::test]
async fn well_formed_address_gives_supported_automatic_tax() {
    let emu = spawn_emulator().await;
    let customer = emu
        .ok_post(
            "/v1/customers",
            &[
                ("email", "us@example.com"),
                ("address[country]", "US"),
                ("address[postal_code]", "94107"),
                ("address[state]", "CA"),
                ("expand[]", "tax"),
            ],
        )
        .await;
    assert_eq!(customer["tax"]["automatic_tax"], "supported");
    assert_eq!(customer["tax"]["location"]["country"], "US");
    assert_eq!(customer["tax"]["location"]["source"], "billing_address");
}

#[tokio::test]
async fn malformed_address_gives_unrecognized_location() {
    let emu = spawn_emulator().await;
    let customer = emu
        .ok_post(
            "/v1/customers",
            &[("address[country]", "US"), ("address[postal_code]", "abc")],
        )
        .await;
    let id = customer["id"].as_str().unwrap();
    let expanded = emu
        .ok_get(&format!("/v1/customers/{id}?expand[]=tax"))
        .await;
    assert_eq!(expanded["tax"]["automatic_tax"], "unrecognized_location");
    assert!(expanded["tax"]["location"].is_null());
}

#[tokio::test]
async fn test_card_token_is_attached_and_made_default() {
    let emu = spawn_emulator().await;
    let customer = emu
        .ok_post("/v1/customers", &[("email", "c@example.com")])
        .await;
    let id = customer["id"].as_str().unwrap();
    let pm = emu
        .ok_post(
            "/v1/payment_methods/pm_card_visa/attach",
            &[("customer", id)],
        )
        .await;
    let pm_id = pm["id"].as_str().unwrap();
    assert!(pm_id.starts_with("pm_") && pm_id != "pm_card_visa");
    assert_eq!(pm["card"]["last4"], "4242");
    let updated = emu
        .ok_post(
            &format!("/v1/customers/{id}"),
            &[("invoice_settings[default_payment_method]", pm_id)],
        )
        .await;
    assert_eq!(updated["invoice_settings"]["default_payment_method"], pm_id);
    let listed = emu
        .ok_get(&format!("/v1/customers/{id}/payment_methods"))
        .await;
    assert_eq!(listed["data"][0]["id"], pm_id);
    let detached = emu
        .ok_post(&format!("/v1/payment_methods/{pm_id}/detach"), &[])
        .await;
    assert!(detached["customer"].is_null());
    let (status, body) = emu
        .post(
            "/v1/payment_methods/pm_card_chargeDeclined/attach",
            &[("customer", id)],
        )
        .await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(body["error"]["type"], "card_error");
}

#[tokio::test]
async fn tax_ids_are_added_listed_expanded_and_deleted() {
    let emu = spawn_emulator().await;
    let customer = emu
        .ok_post(
            "/v1/customers",
            &[
                ("email", "vat@example.com"),
                ("tax_id_data[0][type]", "eu_vat"),
                ("tax_id_data[0][value]", "DE123456789"),
            ],
        )
        .await;
    let id = customer["id"].as_str().unwrap();
    let expanded = emu
        .ok_get(&format!("/v1/customers/{id}?expand[]=tax_ids"))
        .await;
    let first = &expanded["tax_ids"]["data"][0];
    assert_eq!(first["type"], "eu_vat");
    assert_eq!(first["country"], "DE");
    assert_eq!(first["verification"]["status"], "verified");
    let parsed: Result<stripe_shared::TaxId, _> = serde_path_to_error::deserialize(first.clone());
    assert!(parsed.is_ok(), "{:?}", parsed.err());

    let gb = emu
        .ok_post(
            &format!("/v1/customers/{id}/tax_ids"),
            &[("type", "gb_vat"), ("value", "GB000000000")],
        )
        .await;
    assert_eq!(gb["verification"]["status"], "unverified");
    assert_eq!(
        emu.ok_get(&format!("/v1/customers/{id}/tax_ids")).await["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let (status, body) = emu
        .post(
            &format!("/v1/customers/{id}/tax_ids"),
            &[("type", "eu_vat"), ("value", "XX1")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["message"], "Invalid value for eu_vat.");
    let (status, deleted) = emu
        .delete(&format!(
            "/v1/customers/{id}/tax_ids/{}",
            gb["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted["deleted"], true);
    assert!(emu
        .event_types()
        .await
        .contains(&"customer.tax_id.created".to_owned()));
}

#[tokio::test]
async fn invalid_tax_id_data_creates_no_customer() {
    let emu = spawn_emulator().await;
    let (status, body) = emu
        .post(
            "/v1/customers",
            &[
                ("tax_id_data[0][type]", "eu_vat"),
                ("tax_id_data[0][value]", "nope"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["param"], "tax_id_data[0][value]");
    assert!(emu.ok_get("/v1/customers").await["data"]
        .as_array()
        .unwrap()
        .is_empty());
}
