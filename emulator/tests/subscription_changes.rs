#![allow(clippy::unwrap_used)]

mod common;

use common::{spawn_emulator, TestEmulator};
use reqwest::StatusCode;
use serde_json::Value;

const DAY: i64 = 86_400;

struct Setup {
    clock: String,
    sub: Value,
    item: String,
    product: String,
}

/// A customer on a test clock, subscribed monthly at $10 through Checkout.
async fn subscribed(emu: &TestEmulator) -> Setup {
    let clock = emu.test_clock().await;
    let customer = emu.customer_on_clock(&clock, "swap@example.com").await;
    let price = emu.monthly_price(1000, "usd").await;
    let product = emu.ok_get(&format!("/v1/prices/{price}")).await["product"]
        .as_str()
        .unwrap()
        .to_owned();
    let sub = emu.subscribe_via_checkout(&price, &customer).await;
    let item = sub["items"]["data"][0]["id"].as_str().unwrap().to_owned();
    Setup {
        clock,
        sub,
        item,
        product,
    }
}

async fn price(emu: &TestEmulator, product: &str, amount: &str, interval: &str) -> String {
    let p = emu
        .ok_post(
            "/v1/prices",
            &[
                ("product", product),
                ("currency", "usd"),
                ("unit_amount", amount),
                ("recurring[interval]", interval),
            ],
        )
        .await;
    p["id"].as_str().unwrap().to_owned()
}

fn period(sub: &Value) -> (i64, i64) {
    let item = &sub["items"]["data"][0];
    (
        item["current_period_start"].as_i64().unwrap(),
        item["current_period_end"].as_i64().unwrap(),
    )
}

fn prorate(amount: i64, part: i64, whole: i64) -> i64 {
    (amount * part + whole / 2) / whole
}

#[tokio::test]
async fn price_swap_without_proration_bills_the_new_price_at_renewal() {
    let emu = spawn_emulator().await;
    let s = subscribed(&emu).await;
    let sub_id = s.sub["id"].as_str().unwrap();
    let pricier = price(&emu, &s.product, "2500", "month").await;
    let updated = emu
        .ok_post(
            &format!("/v1/subscriptions/{sub_id}"),
            &[
                ("items[0][id]", &s.item),
                ("items[0][price]", &pricier),
                ("proration_behavior", "none"),
            ],
        )
        .await;
    assert_eq!(updated["items"]["data"][0]["price"]["id"], pricier);
    assert_eq!(period(&updated), period(&s.sub), "same period");
    assert_eq!(
        emu.ok_get(&format!("/v1/invoices?subscription={sub_id}"))
            .await["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    emu.advance_test_clock_to(&s.clock, period(&s.sub).1 + DAY)
        .await;
    let invoices = emu
        .ok_get(&format!("/v1/invoices?subscription={sub_id}"))
        .await;
    assert_eq!(invoices["data"][0]["amount_paid"], 2500);
}

#[tokio::test]
async fn mid_period_upgrade_adds_prorations_to_the_next_invoice() {
    let emu = spawn_emulator().await;
    let s = subscribed(&emu).await;
    let sub_id = s.sub["id"].as_str().unwrap();
    let (start, end) = period(&s.sub);
    let midway = start + (end - start) / 2;
    emu.advance_test_clock_to(&s.clock, midway).await;
    let pricier = price(&emu, &s.product, "3000", "month").await;
    emu.ok_post(
        &format!("/v1/subscriptions/{sub_id}"),
        &[("items[0][id]", &s.item), ("items[0][price]", &pricier)],
    )
    .await;
    emu.advance_test_clock_to(&s.clock, end + DAY).await;
    let renewal = &emu
        .ok_get(&format!("/v1/invoices?subscription={sub_id}"))
        .await["data"][0];
    let lines = renewal["lines"]["data"].as_array().unwrap();
    assert_eq!(lines.len(), 3, "new period plus two prorations: {lines:#?}");
    let prorations: Vec<&Value> = lines
        .iter()
        .filter(|l| l["parent"]["subscription_item_details"]["proration"] == true)
        .collect();
    assert_eq!(prorations.len(), 2);
    let unused = -prorate(1000, end - midway, end - start);
    let remaining = prorate(3000, end - midway, end - start);
    let amounts: Vec<i64> = prorations
        .iter()
        .map(|l| l["amount"].as_i64().unwrap())
        .collect();
    assert!(
        amounts.contains(&unused) && amounts.contains(&remaining),
        "{amounts:?} vs {unused}, {remaining}"
    );
    assert_eq!(
        renewal["total"].as_i64().unwrap(),
        3000 + unused + remaining
    );
    assert!(lines.iter().any(|l| l["description"]
        .as_str()
        .unwrap()
        .starts_with("Unused time on 1 × Pro")));
}

#[tokio::test]
async fn always_invoice_charges_the_difference_now() {
    let emu = spawn_emulator().await;
    let s = subscribed(&emu).await;
    let sub_id = s.sub["id"].as_str().unwrap();
    let pricier = price(&emu, &s.product, "2000", "month").await;
    let updated = emu
        .ok_post(
            &format!("/v1/subscriptions/{sub_id}"),
            &[
                ("items[0][id]", &s.item),
                ("items[0][price]", &pricier),
                ("proration_behavior", "always_invoice"),
            ],
        )
        .await;
    let invoice = emu.invoice(&updated["latest_invoice"]).await;
    assert_eq!(invoice["billing_reason"], "subscription_update");
    assert_eq!(invoice["status"], "paid");
    let (start, end) = period(&s.sub);
    let now = emu
        .ok_get(&format!("/v1/test_helpers/test_clocks/{}", s.clock))
        .await["frozen_time"]
        .as_i64()
        .unwrap();
    let expected = prorate(2000, end - now, end - start) - prorate(1000, end - now, end - start);
    assert_eq!(invoice["amount_paid"].as_i64().unwrap(), expected);
}

#[tokio::test]
async fn switching_monthly_to_yearly_restarts_the_period_and_invoices_now() {
    let emu = spawn_emulator().await;
    let s = subscribed(&emu).await;
    let sub_id = s.sub["id"].as_str().unwrap();
    let yearly = price(&emu, &s.product, "10000", "year").await;
    let updated = emu
        .ok_post(
            &format!("/v1/subscriptions/{sub_id}"),
            &[("items[0][id]", &s.item), ("items[0][price]", &yearly)],
        )
        .await;
    let (start, end) = period(&updated);
    assert!((365 * DAY..=366 * DAY).contains(&(end - start)));
    let invoice = emu.invoice(&updated["latest_invoice"]).await;
    assert_eq!(invoice["status"], "paid");
    assert!(
        invoice["amount_paid"].as_i64().unwrap() >= 9000
            && invoice["amount_paid"].as_i64().unwrap() <= 10000,
        "yearly price less unused monthly time"
    );
}

#[tokio::test]
async fn error_if_incomplete_with_a_failing_card_leaves_the_subscription_unchanged() {
    let emu = spawn_emulator().await;
    let s = subscribed(&emu).await;
    let sub_id = s.sub["id"].as_str().unwrap();
    let customer = s.sub["customer"].as_str().unwrap();
    emu.make_card_fail(customer, sub_id).await;
    let pricier = price(&emu, &s.product, "2000", "month").await;
    let (status, body) = emu
        .post(
            &format!("/v1/subscriptions/{sub_id}"),
            &[
                ("items[0][id]", &s.item),
                ("items[0][price]", &pricier),
                ("proration_behavior", "always_invoice"),
                ("payment_behavior", "error_if_incomplete"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(body["error"]["type"], "card_error");
    let after = emu.ok_get(&format!("/v1/subscriptions/{sub_id}")).await;
    assert_eq!(
        after["items"]["data"][0]["price"]["id"],
        s.sub["items"]["data"][0]["price"]["id"]
    );
    assert_eq!(after["status"], "active");
    let open = emu
        .ok_get(&format!("/v1/invoices?subscription={sub_id}&status=open"))
        .await;
    assert!(
        open["data"].as_array().unwrap().is_empty(),
        "the refused change's invoice is void"
    );
}

#[tokio::test]
async fn subscription_created_through_the_api_charges_the_default_card() {
    let emu = spawn_emulator().await;
    let (cid, _) = emu.customer_with_card("pm_card_visa").await;
    let cid = cid.as_str();
    let price = emu.monthly_price(1200, "usd").await;
    let sub = emu
        .ok_post(
            "/v1/subscriptions",
            &[
                ("customer", cid),
                ("items[0][price]", &price),
                ("metadata[k]", "v"),
            ],
        )
        .await;
    assert_eq!(sub["status"], "active");
    assert_eq!(sub["metadata"]["k"], "v");
    let invoice = emu.invoice(&sub["latest_invoice"]).await;
    assert_eq!(
        (invoice["status"].as_str(), invoice["amount_paid"].as_i64()),
        (Some("paid"), Some(1200))
    );
}

#[tokio::test]
async fn api_subscription_payment_behaviors_on_a_failing_card() {
    let emu = spawn_emulator().await;
    let (cid, pm_id) = emu.customer_with_card("pm_card_chargeCustomerFail").await;
    let (cid, pm_id) = (cid.as_str(), pm_id.as_str());
    let price = emu.monthly_price(1200, "usd").await;

    let incomplete = emu
        .ok_post(
            "/v1/subscriptions",
            &[
                ("customer", cid),
                ("items[0][price]", &price),
                ("default_payment_method", pm_id),
            ],
        )
        .await;
    assert_eq!(incomplete["status"], "incomplete");

    let (status, body) = emu
        .post(
            "/v1/subscriptions",
            &[
                ("customer", cid),
                ("items[0][price]", &price),
                ("default_payment_method", pm_id),
                ("payment_behavior", "error_if_incomplete"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(body["error"]["code"], "card_declined");
    let all = emu
        .ok_get(&format!("/v1/subscriptions?customer={cid}&status=all"))
        .await;
    assert_eq!(
        all["data"].as_array().unwrap().len(),
        1,
        "the refused one was not kept"
    );

    let pending = emu
        .ok_post(
            "/v1/subscriptions",
            &[
                ("customer", cid),
                ("items[0][price]", &price),
                ("payment_behavior", "default_incomplete"),
            ],
        )
        .await;
    assert_eq!(pending["status"], "incomplete");
    let invoice = emu.invoice(&pending["latest_invoice"]).await;
    assert_eq!(
        (
            invoice["status"].as_str(),
            invoice["attempt_count"].as_i64()
        ),
        (Some("open"), Some(0))
    );

    let other = emu
        .ok_post("/v1/customers", &[("email", "nocard@example.com")])
        .await;
    let (status, _) = emu
        .post(
            "/v1/subscriptions",
            &[
                ("customer", other["id"].as_str().unwrap()),
                ("items[0][price]", &price),
            ],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "no payment method to charge"
    );
}

/// The invoice switching the setup's item to `price` would bring.
async fn preview_switch(emu: &TestEmulator, s: &Setup, price: &str) -> Value {
    emu.ok_post(
        "/v1/invoices/create_preview",
        &[
            ("subscription", s.sub["id"].as_str().unwrap()),
            ("subscription_details[items][0][id]", &s.item),
            ("subscription_details[items][0][price]", price),
        ],
    )
    .await
}

#[tokio::test]
async fn preview_of_a_mid_period_upgrade_matches_the_renewal_it_then_brings() {
    let emu = spawn_emulator().await;
    let s = subscribed(&emu).await;
    let sub_id = s.sub["id"].as_str().unwrap();
    let (start, end) = period(&s.sub);
    emu.advance_test_clock_to(&s.clock, start + (end - start) / 3)
        .await;
    let pricier = price(&emu, &s.product, "3000", "month").await;
    let preview = preview_switch(&emu, &s, &pricier).await;
    assert_eq!(preview["billing_reason"], "subscription_cycle");
    assert_eq!(preview["period_start"].as_i64().unwrap(), end);
    let unchanged = emu.ok_get(&format!("/v1/subscriptions/{sub_id}")).await;
    assert_eq!(
        unchanged["items"]["data"][0]["price"]["id"], s.sub["items"]["data"][0]["price"]["id"],
        "a preview changes nothing"
    );
    emu.ok_post(
        &format!("/v1/subscriptions/{sub_id}"),
        &[("items[0][id]", &s.item), ("items[0][price]", &pricier)],
    )
    .await;
    emu.advance_test_clock_to(&s.clock, end + DAY).await;
    let renewal = &emu
        .ok_get(&format!("/v1/invoices?subscription={sub_id}"))
        .await["data"][0];
    assert_eq!(renewal["total"], preview["total"]);
    assert_eq!(
        renewal["lines"]["data"].as_array().unwrap().len(),
        preview["lines"]["data"].as_array().unwrap().len()
    );
}

#[tokio::test]
async fn preview_of_a_switch_to_yearly_is_the_invoice_charged_at_once() {
    let emu = spawn_emulator().await;
    let s = subscribed(&emu).await;
    let sub_id = s.sub["id"].as_str().unwrap();
    let yearly = price(&emu, &s.product, "10000", "year").await;
    let preview = preview_switch(&emu, &s, &yearly).await;
    assert_eq!(preview["billing_reason"], "subscription_update");
    let updated = emu
        .ok_post(
            &format!("/v1/subscriptions/{sub_id}"),
            &[("items[0][id]", &s.item), ("items[0][price]", &yearly)],
        )
        .await;
    let invoice = emu.invoice(&updated["latest_invoice"]).await;
    assert_eq!(invoice["amount_paid"], preview["amount_due"]);
}

#[tokio::test]
async fn preview_refuses_an_unknown_price_and_names_the_nested_parameter() {
    let emu = spawn_emulator().await;
    let s = subscribed(&emu).await;
    let (status, body) = emu
        .post(
            "/v1/invoices/create_preview",
            &[
                ("subscription", s.sub["id"].as_str().unwrap()),
                ("subscription_details[items][0][id]", &s.item),
                ("subscription_details[items][0][price]", "price_missing"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body["error"]["param"],
        "subscription_details[items][0][price]"
    );
}

#[tokio::test]
async fn pending_if_incomplete_keeps_the_old_plan_until_the_change_is_paid() {
    let emu = spawn_emulator().await;
    let s = subscribed(&emu).await;
    let sub_id = s.sub["id"].as_str().unwrap();
    let customer = s.sub["customer"].as_str().unwrap();
    emu.make_card_fail(customer, sub_id).await;
    let yearly = price(&emu, &s.product, "10000", "year").await;
    let updated = emu
        .ok_post(
            &format!("/v1/subscriptions/{sub_id}"),
            &[
                ("items[0][id]", &s.item),
                ("items[0][price]", &yearly),
                ("payment_behavior", "pending_if_incomplete"),
            ],
        )
        .await;
    assert_eq!(updated["status"], "active");
    assert_eq!(
        updated["items"]["data"][0]["price"]["id"],
        s.sub["items"]["data"][0]["price"]["id"]
    );
    assert_eq!(
        updated["pending_update"]["subscription_items"][0]["price"],
        yearly.as_str()
    );
    let invoice = emu.invoice(&updated["latest_invoice"]).await;
    assert_eq!(invoice["status"], "void");
}
