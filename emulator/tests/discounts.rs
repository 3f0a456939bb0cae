//! Coupons, promotion codes, and the discounts they make on Checkout and subscription invoices.
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::{spawn_emulator, TestEmulator};
use serde_json::Value;
use stripe_product::coupon::{CreateCoupon, DeleteCoupon, RetrieveCoupon, UpdateCoupon};
use stripe_product::promotion_code::{
    CreatePromotionCode, CreatePromotionCodePromotion, CreatePromotionCodePromotionType,
    UpdatePromotionCode,
};
use stripe_shared::CouponDuration;

async fn coupon(emu: &TestEmulator, terms: &[(&str, &str)]) -> String {
    emu.ok_post("/v1/coupons", terms).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn promotion_code(emu: &TestEmulator, coupon: &str, code: &str) -> String {
    emu.ok_post(
        "/v1/promotion_codes",
        &[
            ("promotion[type]", "coupon"),
            ("promotion[coupon]", coupon),
            ("code", code),
        ],
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn coupons_and_promotion_codes_are_managed_through_async_stripe() {
    let emu = spawn_emulator().await;
    let client = stripe::ClientBuilder::new(&emu.key)
        .url(&emu.running.base_url)
        .build()
        .unwrap();
    let created = CreateCoupon::new()
        .percent_off(25.5)
        .duration(CouponDuration::Repeating)
        .duration_in_months(3)
        .max_redemptions(2)
        .name("Launch")
        .send(&client)
        .await
        .unwrap();
    assert_eq!(created.percent_off, Some(25.5));
    assert_eq!(created.duration_in_months, Some(3));
    assert!(created.valid);
    let renamed = UpdateCoupon::new(created.id.clone())
        .name("Launch week")
        .send(&client)
        .await
        .unwrap();
    assert_eq!(renamed.name.as_deref(), Some("Launch week"));
    let promo = CreatePromotionCode::new(CreatePromotionCodePromotion {
        coupon: Some(created.id.to_string()),
        type_: CreatePromotionCodePromotionType::Coupon,
    })
    .code("LAUNCH")
    .max_redemptions(5)
    .send(&client)
    .await
    .unwrap();
    assert!(promo.active);
    assert_eq!(promo.code, "LAUNCH");
    let off = UpdatePromotionCode::new(promo.id.clone())
        .active(false)
        .send(&client)
        .await
        .unwrap();
    assert!(!off.active);
    let listed = emu.ok_get("/v1/promotion_codes?code=launch").await;
    assert_eq!(listed["data"][0]["id"], promo.id.as_str());
    let coupons = emu.ok_get("/v1/coupons").await;
    assert_eq!(coupons["data"].as_array().unwrap().len(), 1);
    let deleted = DeleteCoupon::new(created.id.clone())
        .send(&client)
        .await
        .unwrap();
    assert_eq!(deleted.id, created.id);
    assert!(RetrieveCoupon::new(created.id).send(&client).await.is_err());
}

#[tokio::test]
async fn coupon_terms_are_validated() {
    let emu = spawn_emulator().await;
    let cases: &[&[(&str, &str)]] = &[
        &[
            ("percent_off", "10"),
            ("amount_off", "100"),
            ("currency", "usd"),
        ],
        &[("amount_off", "100")],
        &[("percent_off", "101")],
        &[("percent_off", "10"), ("duration", "repeating")],
        &[
            ("percent_off", "10"),
            ("duration", "once"),
            ("duration_in_months", "2"),
        ],
    ];
    for terms in cases {
        let (status, body) = emu.post("/v1/coupons", terms).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{terms:?}: {body}");
        assert_eq!(body["error"]["type"], "invalid_request_error");
    }
    let price = emu.monthly_price(1000, "usd").await;
    let id = coupon(&emu, &[("percent_off", "10")]).await;
    let (status, body) = emu
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "subscription"),
                ("line_items[0][price]", &price),
                ("line_items[0][quantity]", "1"),
                ("discounts[0][coupon]", &id),
                ("allow_promotion_codes", "true"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = emu
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "subscription"),
                ("line_items[0][price]", &price),
                ("line_items[0][quantity]", "1"),
                ("discounts[0][coupon]", "NOPE"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["param"], "discounts[0][coupon]");
}

#[tokio::test]
async fn checkout_coupon_discounts_the_invoice_before_tax() {
    let emu = spawn_emulator().await;
    let price = emu.monthly_price(1000, "usd").await;
    let id = coupon(&emu, &[("percent_off", "20"), ("duration", "forever")]).await;
    let session = emu
        .subscription_session(
            &price,
            &[
                ("discounts[0][coupon]", &id),
                ("automatic_tax[enabled]", "true"),
            ],
        )
        .await;
    assert_eq!(session["discounts"][0]["coupon"], id.as_str());
    assert_eq!(session["total_details"]["amount_discount"], 200);
    emu.pay_hosted(&session, "4242424242424242", &[]).await;
    let done = emu
        .ok_get(&format!(
            "/v1/checkout/sessions/{}",
            session["id"].as_str().unwrap()
        ))
        .await;
    let invoice = emu.invoice(&done["invoice"]).await;
    // Germany: 19% of the discounted 800.
    assert_eq!(invoice["subtotal"], 1000);
    assert_eq!(invoice["total_discount_amounts"][0]["amount"], 200);
    assert_eq!(invoice["total_taxes"][0]["amount"], 152);
    assert_eq!(invoice["total"], 952);
    assert_eq!(invoice["amount_paid"], 952);
    assert_eq!(
        invoice["lines"]["data"][0]["discount_amounts"][0]["amount"],
        200
    );
    assert_eq!(done["total_details"]["amount_discount"], 200);
    let sub = emu
        .ok_get(&format!(
            "/v1/subscriptions/{}",
            done["subscription"].as_str().unwrap()
        ))
        .await;
    assert_eq!(sub["discounts"][0], invoice["discounts"][0]);
    assert_eq!(
        emu.ok_get(&format!("/v1/coupons/{id}")).await["times_redeemed"],
        1
    );
    // A forever coupon keeps discounting renewals.
    emu.running.emulator.advance_clock(32 * 86_400);
    let renewed = emu
        .ok_get(&format!(
            "/v1/subscriptions/{}",
            sub["id"].as_str().unwrap()
        ))
        .await;
    let next = emu.invoice(&renewed["latest_invoice"]).await;
    assert_ne!(next["id"], invoice["id"]);
    assert_eq!(next["total"], 952);
}

#[tokio::test]
async fn hosted_checkout_promotion_code_field_checks_and_applies_the_code() {
    let emu = spawn_emulator().await;
    let price = emu.monthly_price(1000, "usd").await;
    let id = coupon(&emu, &[("amount_off", "300"), ("currency", "usd")]).await;
    let good = promotion_code(&emu, &id, "SAVE3").await;
    let stale = promotion_code(&emu, &id, "OLD").await;
    emu.ok_post(
        &format!("/v1/promotion_codes/{stale}"),
        &[("active", "false")],
    )
    .await;
    let session = emu
        .subscription_session(&price, &[("allow_promotion_codes", "true")])
        .await;
    let page = emu.page_text(session["url"].as_str().unwrap()).await;
    assert!(page.contains("name=\"promotion_code\""), "{page}");

    let unknown = emu
        .pay_hosted(
            &session,
            "4242424242424242",
            &[("promotion_code", "NOSUCH")],
        )
        .await;
    assert_eq!(unknown.status(), 400);
    assert!(unknown
        .text()
        .await
        .unwrap()
        .contains("The code NOSUCH is invalid."));
    let inactive = emu
        .pay_hosted(&session, "4242424242424242", &[("promotion_code", "old")])
        .await;
    assert_eq!(inactive.status(), 400);
    assert!(inactive.text().await.unwrap().contains("no longer active"));
    assert_eq!(
        emu.ok_get("/v1/subscriptions").await["data"]
            .as_array()
            .unwrap()
            .len(),
        0
    );

    let applied = emu
        .http
        .post(session["url"].as_str().unwrap())
        .form(&[("promotion_code", "SAVE3"), ("apply", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(applied.status(), 200);
    let html = applied.text().await.unwrap();
    assert!(
        html.contains("SAVE3") && html.contains("-$3.00") && html.contains("$7.00"),
        "{html}"
    );

    let paid = emu
        .pay_hosted(&session, "4242424242424242", &[("promotion_code", "SAVE3")])
        .await;
    assert_eq!(paid.status(), 303);
    let done = emu
        .ok_get(&format!(
            "/v1/checkout/sessions/{}",
            session["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(done["discounts"][0]["promotion_code"], good.as_str());
    let invoice = emu.invoice(&done["invoice"]).await;
    assert_eq!(invoice["total"], 700);
    let promo: Value = emu.ok_get(&format!("/v1/promotion_codes/{good}")).await;
    assert_eq!(promo["times_redeemed"], 1);
}

#[tokio::test]
async fn once_coupon_on_an_api_subscription_discounts_only_the_first_invoice() {
    let emu = spawn_emulator().await;
    let (cid, _) = emu.customer_with_card("pm_card_visa").await;
    let price = emu.monthly_price(1200, "usd").await;
    let id = coupon(
        &emu,
        &[
            ("amount_off", "500"),
            ("currency", "usd"),
            ("max_redemptions", "1"),
        ],
    )
    .await;
    let promo = promotion_code(&emu, &id, "FIRST").await;
    let sub = emu
        .ok_post(
            "/v1/subscriptions",
            &[
                ("customer", &cid),
                ("items[0][price]", &price),
                ("discounts[0][promotion_code]", &promo),
            ],
        )
        .await;
    assert_eq!(sub["status"], "active");
    assert_eq!(
        emu.invoice(&sub["latest_invoice"]).await["amount_paid"],
        700
    );
    let spent = emu.ok_get(&format!("/v1/coupons/{id}")).await;
    assert_eq!(
        (spent["times_redeemed"].as_i64(), spent["valid"].as_bool()),
        (Some(1), Some(false))
    );
    let (status, body) = emu
        .post(
            "/v1/subscriptions",
            &[
                ("customer", &cid),
                ("items[0][price]", &price),
                ("discounts[0][coupon]", &id),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    emu.running.emulator.advance_clock(32 * 86_400);
    let renewed = emu
        .ok_get(&format!(
            "/v1/subscriptions/{}",
            sub["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(renewed["discounts"].as_array().unwrap().len(), 0);
    let next = emu.invoice(&renewed["latest_invoice"]).await;
    assert_eq!(next["billing_reason"], "subscription_cycle");
    assert_eq!(next["total"], 1200);
}
