//! Plans & products: push sync, drift, archive and import, checked against the emulator's
//! own view of Stripe.

use crate::helpers::{spawn_app_with_stripe, stripe_get, stripe_post, TestApp};
use app::api::catalog::SavedProduct;
use app::model::{AppError, ImportReport, ProductDetail, ProductKind, ProductSync, SyncState};
use reqwest::StatusCode;
use serde_json::Value;

async fn save_plan(app: &TestApp, id: Option<&str>, monthly: &str, yearly: &str) -> SavedProduct {
    let mut form = vec![
        ("form[kind]", "plan"),
        ("form[name]", "Pro"),
        ("form[description]", "For growing teams"),
        ("form[prices][0][currency]", "usd"),
        ("form[prices][0][amount]", monthly),
        ("form[prices][0][interval]", "month"),
        ("form[prices][1][currency]", "usd"),
        ("form[prices][1][amount]", yearly),
        ("form[prices][1][interval]", "year"),
    ];
    if let Some(id) = id {
        form.push(("form[id]", id));
    }
    app.call::<SavedProduct>("catalog/save", &form).await.ok()
}

async fn sync_state(app: &TestApp, product: &ProductDetail) -> SyncState {
    let all: Vec<ProductSync> = app.call("catalog/sync-status", &[]).await.ok();
    all.into_iter()
        .find(|s| s.product_id == product.id)
        .map(|s| s.state)
        .expect("a state for every product")
}

#[tokio::test]
async fn saving_a_plan_creates_it_in_stripe_with_both_prices() {
    let (app, emulator) = spawn_app_with_stripe().await;
    let saved = save_plan(&app, None, "29", "290.00").await;
    assert_eq!(saved.sync_error, None);
    let product = saved.product;
    let stripe_id = product.stripe_product_id.clone().expect("pushed");
    let remote = stripe_get(&emulator, &format!("/v1/products/{stripe_id}")).await;
    assert_eq!(remote["name"], "Pro");
    assert_eq!(remote["description"], "For growing teams");
    let monthly = &product.prices[0];
    assert_eq!(monthly.amount.amount_minor, 2900);
    assert_eq!(
        remote["default_price"],
        Value::from(monthly.stripe_price_id.clone())
    );
    let prices = stripe_get(&emulator, &format!("/v1/prices?product={stripe_id}")).await;
    let mut amounts: Vec<(i64, String)> = prices["data"]
        .as_array()
        .expect("list")
        .iter()
        .map(|p| {
            (
                p["unit_amount"].as_i64().unwrap_or_default(),
                p["recurring"]["interval"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    amounts.sort();
    assert_eq!(
        amounts,
        vec![(2900, "month".into()), (29000, "year".into())]
    );
    assert_eq!(sync_state(&app, &product).await, SyncState::InSync);
}

#[tokio::test]
async fn a_new_amount_makes_a_new_price_and_archives_the_old_one() {
    let (app, emulator) = spawn_app_with_stripe().await;
    let first = save_plan(&app, None, "29", "290").await.product;
    let old_id = first.prices[0]
        .stripe_price_id
        .clone()
        .expect("old price id");
    let id = first.id.to_string();
    let second = save_plan(&app, Some(&id), "35", "290").await;
    assert_eq!(second.sync_error, None);
    let product = second.product;

    let active: Vec<_> = product.active_prices().collect();
    assert_eq!(active.len(), 2);
    let new_monthly = active
        .iter()
        .find(|p| p.amount.amount_minor == 3500)
        .expect("new");
    let new_id = new_monthly.stripe_price_id.clone().expect("new id");
    assert_ne!(new_id, old_id);
    let archived = product
        .prices
        .iter()
        .find(|p| !p.active)
        .expect("old price kept");
    assert_eq!(archived.stripe_price_id.as_deref(), Some(old_id.as_str()));
    let replaced_by: Option<String> =
        sqlx::query_scalar("SELECT replaced_by::text FROM prices WHERE id = $1")
            .bind(archived.id)
            .fetch_one(&app.pool)
            .await
            .expect("row");
    assert_eq!(replaced_by, Some(new_monthly.id.to_string()));

    assert_eq!(
        stripe_get(&emulator, &format!("/v1/prices/{old_id}")).await["active"],
        false
    );
    assert_eq!(
        stripe_get(&emulator, &format!("/v1/prices/{new_id}")).await["active"],
        true
    );
    let stripe_id = product.stripe_product_id.clone().expect("pushed");
    let remote = stripe_get(&emulator, &format!("/v1/products/{stripe_id}")).await;
    assert_eq!(remote["default_price"], Value::from(new_id));
    assert_eq!(sync_state(&app, &product).await, SyncState::InSync);
}

#[tokio::test]
async fn a_change_made_in_stripe_shows_as_drift_until_fixed() {
    let (app, emulator) = spawn_app_with_stripe().await;
    let product = save_plan(&app, None, "29", "290").await.product;
    let stripe_id = product.stripe_product_id.clone().expect("pushed");
    stripe_post(
        &emulator,
        &format!("/v1/products/{stripe_id}"),
        &[("name", "Pro (edited in Stripe)"), ("metadata[extra]", "1")],
    )
    .await;
    match sync_state(&app, &product).await {
        SyncState::OutOfSync(diffs) => {
            assert!(
                diffs
                    .iter()
                    .any(|d| d.starts_with("Name: Paydesk has \"Pro\"")),
                "{diffs:?}"
            );
            assert!(
                diffs.iter().any(|d| d.starts_with("Metadata:")),
                "{diffs:?}"
            );
        }
        other => panic!("expected drift, got {other:?}"),
    }
    let id = product.id.to_string();
    app.call::<ProductDetail>("catalog/push", &[("id", &id)])
        .await
        .ok();
    assert_eq!(sync_state(&app, &product).await, SyncState::InSync);
    let remote = stripe_get(&emulator, &format!("/v1/products/{stripe_id}")).await;
    assert_eq!(remote["name"], "Pro");
    assert_eq!(remote["metadata"], serde_json::json!({}));
}

#[tokio::test]
async fn archiving_hides_a_product_from_members_and_archives_it_in_stripe() {
    let (app, emulator) = spawn_app_with_stripe().await;
    let product = save_plan(&app, None, "29", "290").await.product;
    let id = product.id.to_string();
    let saved: SavedProduct = app
        .call("catalog/archive", &[("id", &id), ("archived", "true")])
        .await
        .ok();
    assert_eq!(saved.sync_error, None);
    assert!(!saved.product.active);
    let stripe_id = product.stripe_product_id.clone().expect("pushed");
    let remote = stripe_get(&emulator, &format!("/v1/products/{stripe_id}")).await;
    assert_eq!(remote["active"], false);
    // Prices stay active in Stripe so existing subscriptions renew.
    let price = product.prices[0].stripe_price_id.clone().expect("price");
    assert_eq!(
        stripe_get(&emulator, &format!("/v1/prices/{price}")).await["active"],
        true
    );
    let visible = app::server::db::catalog::list_products(&app.pool, "test", true)
        .await
        .expect("list");
    assert!(visible.iter().all(|p| p.name != "Pro"));
}

#[tokio::test]
async fn bad_prices_are_refused_and_nothing_reaches_stripe() {
    let (app, emulator) = spawn_app_with_stripe().await;
    let form = [
        ("form[kind]", "plan"),
        ("form[name]", "Broken"),
        ("form[prices][0][currency]", "jpy"),
        ("form[prices][0][amount]", "500.50"),
        ("form[prices][0][interval]", "month"),
    ];
    let answer = app.call::<SavedProduct>("catalog/save", &form).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer.err(),
        AppError::validation(
            "prices.0.amount",
            "JPY has no minor unit: give a whole amount."
        )
    );
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM products")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(count, 0);
    let remote = stripe_get(&emulator, "/v1/products").await;
    assert_eq!(remote["data"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn import_links_stripe_products_with_their_metadata() {
    let (app, emulator) = spawn_app_with_stripe().await;
    let top_up = stripe_post(
        &emulator,
        "/v1/products",
        &[
            ("name", "Premium year"),
            ("metadata[accountType]", "premium"),
            ("metadata[interval]", "12"),
        ],
    )
    .await;
    let top_up_id = top_up["id"].as_str().expect("id");
    stripe_post(
        &emulator,
        "/v1/prices",
        &[
            ("product", top_up_id),
            ("currency", "eur"),
            ("unit_amount", "9900"),
        ],
    )
    .await;
    let ticket = stripe_post(&emulator, "/v1/products", &[("name", "Workshop")]).await;
    let ticket_price = stripe_post(
        &emulator,
        "/v1/prices",
        &[
            ("product", ticket["id"].as_str().expect("id")),
            ("currency", "jpy"),
            ("unit_amount", "5000"),
        ],
    )
    .await;

    let report: ImportReport = app.call("catalog/import", &[]).await.ok();
    assert_eq!(report.products_created.len(), 2);
    assert_eq!(report.prices_linked, 2);
    let again: ImportReport = app.call("catalog/import", &[]).await.ok();
    assert_eq!((again.products_created.len(), again.prices_linked), (0, 0));

    let catalog: app::api::catalog::CatalogView = app.call("catalog/list", &[]).await.ok();
    let premium = catalog
        .products
        .iter()
        .find(|p| p.name == "Premium year")
        .expect("imported");
    assert_eq!(premium.kind, ProductKind::TopUp);
    assert_eq!(
        premium.metadata.get("accountType").map(String::as_str),
        Some("premium")
    );
    assert_eq!(premium.prices[0].amount.amount_minor, 9900);
    let workshop = catalog
        .products
        .iter()
        .find(|p| p.name == "Workshop")
        .expect("imported");
    assert_eq!(workshop.kind, ProductKind::OneTime);
    assert_eq!(workshop.prices[0].amount.to_string(), "¥5,000");
    assert_eq!(
        workshop.prices[0].stripe_price_id.as_deref(),
        ticket_price["id"].as_str()
    );
    assert_eq!(sync_state(&app, premium).await, SyncState::InSync);
}

#[tokio::test]
async fn one_price_can_be_linked_by_its_id() {
    let (app, emulator) = spawn_app_with_stripe().await;
    let product = stripe_post(&emulator, "/v1/products", &[("name", "Team")]).await;
    let price = stripe_post(
        &emulator,
        "/v1/prices",
        &[
            ("product", product["id"].as_str().expect("id")),
            ("currency", "usd"),
            ("unit_amount", "4900"),
            ("recurring[interval]", "month"),
        ],
    )
    .await;
    let price_id = price["id"].as_str().expect("id");
    let report: ImportReport = app
        .call("catalog/link-price", &[("price_id", price_id)])
        .await
        .ok();
    assert_eq!(report.products_created, vec!["Team".to_owned()]);
    assert_eq!(report.prices_linked, 1);
    let unknown = app
        .call::<ImportReport>("catalog/link-price", &[("price_id", "price_doesnotexist")])
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'catalog.price_linked'")
            .fetch_one(&app.pool)
            .await
            .expect("count");
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn switching_mode_shows_that_modes_catalog_only() {
    let (app, emulator) = spawn_app_with_stripe().await;
    save_plan(&app, None, "29", "290").await;
    let form = crate::helpers::live_mode_form(&emulator.base_url);
    app.call::<Value>("settings/stripe/save", &form).await.ok();
    let live: app::api::catalog::CatalogView = app.call("catalog/list", &[]).await.ok();
    assert_eq!(live.mode, app::model::StripeMode::Live);
    assert!(live.products.is_empty());
    let visible = app::server::db::catalog::list_products(&app.pool, "live", true)
        .await
        .expect("list");
    assert!(visible.is_empty());
}

#[tokio::test]
async fn an_unknown_tax_rate_keeps_the_product_out_of_stripe_with_a_reason() {
    let (app, emulator) = spawn_app_with_stripe().await;
    let form = [
        ("form[kind]", "plan"),
        ("form[name]", "Taxed"),
        ("form[tax_rate_ids]", "txr_doesnotexist"),
        ("form[prices][0][currency]", "chf"),
        ("form[prices][0][amount]", "12.50"),
        ("form[prices][0][interval]", "month"),
    ];
    let saved: SavedProduct = app.call("catalog/save", &form).await.ok();
    assert_eq!(
        saved.product.tax_rate_ids,
        vec!["txr_doesnotexist".to_owned()]
    );
    assert_eq!(
        saved.sync_error.as_deref(),
        Some("Stripe has no active tax rate txr_doesnotexist: create it in Stripe or remove it here.")
    );
    assert_eq!(saved.product.stripe_product_id, None);
    assert_eq!(sync_state(&app, &saved.product).await, SyncState::NotPushed);
    let remote = stripe_get(&emulator, "/v1/products").await;
    assert_eq!(remote["data"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn a_product_with_a_stripe_tax_rate_syncs() {
    let (app, emulator) = spawn_app_with_stripe().await;
    let rate = stripe_post(
        &emulator,
        "/v1/tax_rates",
        &[
            ("display_name", "VAT"),
            ("percentage", "7.7"),
            ("inclusive", "false"),
        ],
    )
    .await;
    let rate_id = rate["id"].as_str().expect("tax rate id");
    let form = [
        ("form[kind]", "plan"),
        ("form[name]", "Meeting rooms"),
        ("form[tax_rate_ids]", rate_id),
        ("form[prices][0][currency]", "chf"),
        ("form[prices][0][amount]", "12.50"),
        ("form[prices][0][interval]", "month"),
    ];
    let saved: SavedProduct = app.call("catalog/save", &form).await.ok();
    assert_eq!(saved.sync_error, None);
    assert_eq!(sync_state(&app, &saved.product).await, SyncState::InSync);
    stripe_post(
        &emulator,
        &format!("/v1/tax_rates/{rate_id}"),
        &[("active", "false")],
    )
    .await;
    assert_eq!(
        sync_state(&app, &saved.product).await,
        SyncState::OutOfSync(vec![format!("Stripe has no active tax rate {rate_id}")])
    );
}
