#![allow(clippy::unwrap_used)]

mod common;

use common::spawn_emulator;
use reqwest::StatusCode;

#[tokio::test]
async fn product_is_created_retrieved_updated_and_listed() {
    let emu = spawn_emulator().await;
    let product = emu
        .ok_post(
            "/v1/products",
            &[("name", "Team plan"), ("metadata[tier]", "team")],
        )
        .await;
    let id = product["id"].as_str().unwrap();
    assert!(id.starts_with("prod_"));
    assert_eq!(product["object"], "product");
    assert_eq!(product["active"], true);
    assert_eq!(product["metadata"]["tier"], "team");
    assert_eq!(emu.ok_get(&format!("/v1/products/{id}")).await, product);

    let updated = emu
        .ok_post(
            &format!("/v1/products/{id}"),
            &[
                ("name", "Team"),
                ("active", "false"),
                ("metadata[tier]", ""),
                ("metadata[x]", "1"),
            ],
        )
        .await;
    assert_eq!(updated["name"], "Team");
    assert_eq!(updated["active"], false);
    assert_eq!(updated["metadata"], serde_json::json!({"x": "1"}));

    emu.ok_post("/v1/products", &[("name", "Other")]).await;
    let inactive = emu.ok_get("/v1/products?active=false").await;
    assert_eq!(inactive["data"].as_array().unwrap().len(), 1);
    assert_eq!(inactive["data"][0]["id"], id);
}

#[tokio::test]
async fn product_with_default_price_data_gets_a_default_price() {
    let emu = spawn_emulator().await;
    let product = emu
        .ok_post(
            "/v1/products",
            &[
                ("name", "Pro"),
                ("default_price_data[currency]", "eur"),
                ("default_price_data[unit_amount]", "1500"),
                ("default_price_data[recurring][interval]", "month"),
            ],
        )
        .await;
    let price_id = product["default_price"].as_str().unwrap();
    let price = emu.ok_get(&format!("/v1/prices/{price_id}")).await;
    assert_eq!(price["unit_amount"], 1500);
    assert_eq!(price["currency"], "eur");
    assert_eq!(price["product"], product["id"]);
}

#[tokio::test]
async fn monthly_and_yearly_prices_are_created_with_interval_counts() {
    let emu = spawn_emulator().await;
    let product = emu.ok_post("/v1/products", &[("name", "Pro")]).await;
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
    let quarterly = emu
        .ok_post(
            "/v1/prices",
            &[
                ("product", pid),
                ("currency", "usd"),
                ("unit_amount", "2700"),
                ("recurring[interval]", "month"),
                ("recurring[interval_count]", "3"),
            ],
        )
        .await;
    let yearly = emu
        .ok_post(
            "/v1/prices",
            &[
                ("product", pid),
                ("currency", "JPY"),
                ("unit_amount", "12000"),
                ("recurring[interval]", "year"),
                ("lookup_key", "pro_yearly"),
            ],
        )
        .await;
    let once = emu
        .ok_post(
            "/v1/prices",
            &[
                ("product", pid),
                ("currency", "gbp"),
                ("unit_amount", "500"),
            ],
        )
        .await;
    assert_eq!(monthly["type"], "recurring");
    assert_eq!(monthly["recurring"]["interval_count"], 1);
    assert_eq!(quarterly["recurring"]["interval_count"], 3);
    assert_eq!(yearly["currency"], "jpy");
    assert_eq!(yearly["lookup_key"], "pro_yearly");
    assert_eq!(once["type"], "one_time");
    assert!(once["recurring"].is_null());

    let by_lookup = emu.ok_get("/v1/prices?lookup_keys[]=pro_yearly").await;
    assert_eq!(by_lookup["data"][0]["id"], yearly["id"]);
    let one_time = emu
        .ok_get(&format!("/v1/prices?product={pid}&type=one_time"))
        .await;
    assert_eq!(one_time["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn price_amounts_are_immutable_but_active_metadata_and_lookup_key_change() {
    let emu = spawn_emulator().await;
    let price_id = emu.monthly_price(1000, "usd").await;
    let path = format!("/v1/prices/{price_id}");
    let (status, body) = emu.post(&path, &[("unit_amount", "2000")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["param"], "unit_amount");
    let updated = emu
        .ok_post(
            &path,
            &[
                ("active", "false"),
                ("metadata[legacy]", "yes"),
                ("lookup_key", "old_pro"),
            ],
        )
        .await;
    assert_eq!(updated["active"], false);
    assert_eq!(updated["unit_amount"], 1000);
    assert_eq!(updated["metadata"]["legacy"], "yes");
    assert_eq!(updated["lookup_key"], "old_pro");
    let active = emu.ok_get("/v1/prices?active=true").await;
    assert!(active["data"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn lookup_key_in_use_needs_transfer_lookup_key() {
    let emu = spawn_emulator().await;
    let product = emu.ok_post("/v1/products", &[("name", "Pro")]).await;
    let pid = product["id"].as_str().unwrap();
    let first = emu
        .ok_post(
            "/v1/prices",
            &[
                ("product", pid),
                ("currency", "usd"),
                ("unit_amount", "1000"),
                ("lookup_key", "pro"),
            ],
        )
        .await;
    let (status, _) = emu
        .post(
            "/v1/prices",
            &[
                ("product", pid),
                ("currency", "usd"),
                ("unit_amount", "1200"),
                ("lookup_key", "pro"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let second = emu
        .ok_post(
            "/v1/prices",
            &[
                ("product", pid),
                ("currency", "usd"),
                ("unit_amount", "1200"),
                ("lookup_key", "pro"),
                ("transfer_lookup_key", "true"),
            ],
        )
        .await;
    assert_eq!(second["lookup_key"], "pro");
    let old = emu
        .ok_get(&format!("/v1/prices/{}", first["id"].as_str().unwrap()))
        .await;
    assert!(old["lookup_key"].is_null());
}

#[tokio::test]
async fn price_for_unknown_product_is_a_404() {
    let emu = spawn_emulator().await;
    let (status, body) = emu
        .post(
            "/v1/prices",
            &[
                ("product", "prod_nope"),
                ("currency", "usd"),
                ("unit_amount", "100"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["param"], "product");
}
