#![allow(clippy::unwrap_used)] // a test's panic is its failure report
//! Member billing through the server functions: Checkout, the subscription's actions, cards,
//! address and Tax IDs, each against the emulator over HTTP and a real Postgres.

use crate::helpers::{
    eventually, make_card_fail, member_access, pay_checkout, plan_in_catalog, register_webhook,
    sign_up_member, spawn_app_with_stripe, stripe_get, stripe_post, TestApp,
};
use app::model::{
    AccessStatus, AddressPage, AppError, Card, ChangePreview, CheckoutStatus, MemberOverview,
    MemberSubscription, PlansPage, Redirect, TaxLocation,
};
use reqwest::StatusCode;
use serde_json::Value;

struct Shop {
    app: TestApp,
    emulator: stripe_emulator::Running,
    monthly: String,
    yearly: String,
}

/// An app with webhooks flowing and a "Pro" plan at €19/month and €190/year.
async fn shop() -> Shop {
    let (app, emulator) = spawn_app_with_stripe().await;
    register_webhook(&app, &emulator).await;
    let monthly = plan_in_catalog(&app, &emulator, &[]).await;
    let product = stripe_get(&emulator, &format!("/v1/prices/{monthly}")).await["product"]
        .as_str()
        .expect("product")
        .to_owned();
    let yearly = stripe_post(
        &emulator,
        "/v1/prices",
        &[
            ("product", product.as_str()),
            ("currency", "eur"),
            ("unit_amount", "19000"),
            ("recurring[interval]", "year"),
        ],
    )
    .await["id"]
        .as_str()
        .expect("yearly")
        .to_owned();
    app.call::<Value>("catalog/import", &[]).await.ok();
    Shop {
        app,
        emulator,
        monthly,
        yearly,
    }
}

async fn checkout(member: &TestApp, price: &str) -> Value {
    let redirect: Redirect = member
        .call("billing/checkout", &[("price_id", price)])
        .await
        .ok();
    let id = redirect.url.rsplit('/').next().expect("session id");
    serde_json::json!({ "id": id, "url": redirect.url })
}

/// A member who subscribed monthly with 4242 and whose access the webhook has granted.
async fn subscribed_member(shop: &Shop, email: &str) -> (TestApp, MemberSubscription) {
    let (member, _) = sign_up_member(&shop.app, email).await;
    let session = checkout(&member, &shop.monthly).await;
    pay_checkout(&session, "4242424242424242").await;
    eventually("access after the webhook", || async {
        member_access(&member).await.status == AccessStatus::Active
    })
    .await;
    let overview: MemberOverview = member.call("billing/overview", &[]).await.ok();
    (member, overview.subscription.expect("subscription"))
}

#[tokio::test]
async fn subscribing_opens_checkout_for_the_members_customer_and_access_waits_for_the_webhook() {
    let shop = shop().await;
    let (member, member_id) = sign_up_member(&shop.app, "sub@example.com").await;
    let session = checkout(&member, &shop.monthly).await;
    let stored = stripe_get(
        &shop.emulator,
        &format!("/v1/checkout/sessions/{}", session["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(stored["mode"], "subscription");
    assert_eq!(stored["client_reference_id"], member_id.as_str());
    assert_eq!(stored["metadata"]["paydesk_price"], shop.monthly.as_str());
    assert!(stored["customer"].as_str().unwrap().starts_with("cus_"));
    assert!(stored["success_url"]
        .as_str()
        .unwrap()
        .starts_with("https://billing.example.com/billing/checkout/success"));

    let before: CheckoutStatus = member
        .call(
            "billing/checkout/status",
            &[("session_id", session["id"].as_str().unwrap())],
        )
        .await
        .ok();
    assert!(!before.confirmed);
    assert!(
        !before.access.has_access(),
        "the success page alone grants nothing"
    );

    pay_checkout(&session, "4242424242424242").await;
    eventually("the purchase to be confirmed", || async {
        let status: CheckoutStatus = member
            .call(
                "billing/checkout/status",
                &[("session_id", session["id"].as_str().unwrap())],
            )
            .await
            .ok();
        status.confirmed && status.access.status == AccessStatus::Active
    })
    .await;
    let overview: MemberOverview = member.call("billing/overview", &[]).await.ok();
    let sub = overview.subscription.expect("subscription");
    assert_eq!(sub.product, "Pro");
    assert_eq!(sub.amount.amount_minor, 1900);
    assert_eq!(sub.card.expect("card").last4, "4242");
}

#[tokio::test]
async fn twenty_parallel_subscribe_clicks_share_one_customer_and_one_open_session() {
    let shop = shop().await;
    let (member, _) = sign_up_member(&shop.app, "eager@example.com").await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (member, price) = (member.same_browser(), shop.monthly.clone());
        tasks.spawn(async move {
            member
                .call::<Redirect>("billing/checkout", &[("price_id", &price)])
                .await
                .ok()
                .url
        });
    }
    let urls = tasks.join_all().await;
    assert!(
        urls.windows(2).all(|w| w[0] == w[1]),
        "one session: {urls:?}"
    );
    let customers = stripe_get(&shop.emulator, "/v1/customers?email=eager@example.com").await;
    assert_eq!(customers["data"].as_array().unwrap().len(), 1);
    let open: i64 = sqlx::query_scalar("SELECT count(*) FROM checkout_sessions")
        .fetch_one(&shop.app.pool)
        .await
        .unwrap();
    assert_eq!(open, 1);
}

#[tokio::test]
async fn a_member_with_a_plan_cannot_open_a_second_subscription() {
    let shop = shop().await;
    let (member, _) = subscribed_member(&shop, "twice@example.com").await;
    let answer = member
        .call::<Redirect>("billing/checkout", &[("price_id", &shop.yearly)])
        .await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn unknown_or_archived_prices_are_refused_and_open_nothing() {
    let shop = shop().await;
    let (member, _) = sign_up_member(&shop.app, "probe@example.com").await;
    let unknown = member
        .call::<Redirect>("billing/checkout", &[("price_id", "price_not_ours")])
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(unknown.err().field_message("price_id").is_some());
    sqlx::query("UPDATE prices SET active = false WHERE stripe_price_id = $1")
        .bind(&shop.monthly)
        .execute(&shop.app.pool)
        .await
        .unwrap();
    let archived = member
        .call::<Redirect>("billing/checkout", &[("price_id", &shop.monthly)])
        .await;
    assert_eq!(archived.status, StatusCode::BAD_REQUEST);
    let sessions = stripe_get(&shop.emulator, "/v1/checkout/sessions").await;
    assert!(sessions["data"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn redirect_urls_sent_by_the_browser_are_ignored() {
    let shop = shop().await;
    let (member, _) = sign_up_member(&shop.app, "inject@example.com").await;
    let redirect: Redirect = member
        .call(
            "billing/checkout",
            &[
                ("price_id", shop.monthly.as_str()),
                ("success_url", "https://evil.example/steal"),
                ("cancel_url", "https://evil.example/steal"),
            ],
        )
        .await
        .ok();
    let id = redirect.url.rsplit('/').next().unwrap();
    let stored = stripe_get(&shop.emulator, &format!("/v1/checkout/sessions/{id}")).await;
    for key in ["success_url", "cancel_url"] {
        assert!(
            stored[key]
                .as_str()
                .unwrap()
                .starts_with("https://billing.example.com/"),
            "{key}: {}",
            stored[key]
        );
    }
}

#[tokio::test]
async fn another_members_subscription_is_not_found() {
    let shop = shop().await;
    let (_, sub) = subscribed_member(&shop, "owner@example.com").await;
    let (stranger, _) = sign_up_member(&shop.app, "stranger@example.com").await;
    for endpoint in ["billing/subscription/cancel", "billing/subscription/resume"] {
        let answer = stranger
            .call::<MemberSubscription>(endpoint, &[("id", &sub.id)])
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{endpoint}");
    }
    let preview = stranger
        .call::<ChangePreview>(
            "billing/subscription/preview",
            &[("id", sub.id.as_str()), ("price_id", shop.yearly.as_str())],
        )
        .await;
    assert_eq!(preview.status, StatusCode::NOT_FOUND);
    let live = stripe_get(&shop.emulator, &format!("/v1/subscriptions/{}", sub.id)).await;
    assert_eq!(live["cancel_at_period_end"], false);
}

#[tokio::test]
async fn cancel_at_period_end_keeps_access_and_resume_takes_it_back() {
    let shop = shop().await;
    let (member, sub) = subscribed_member(&shop, "leaver@example.com").await;
    let canceled: MemberSubscription = member
        .call("billing/subscription/cancel", &[("id", &sub.id)])
        .await
        .ok();
    assert!(canceled.cancel_at_period_end);
    assert_eq!(canceled.current_period_end, sub.current_period_end);
    eventually("access to show the end date", || async {
        member_access(&member).await.status == AccessStatus::Canceling
    })
    .await;
    let resumed: MemberSubscription = member
        .call("billing/subscription/resume", &[("id", &sub.id)])
        .await
        .ok();
    assert!(!resumed.cancel_at_period_end);
    eventually("access to renew again", || async {
        member_access(&member).await.status == AccessStatus::Active
    })
    .await;
}

#[tokio::test]
async fn switching_to_yearly_shows_the_charge_first_and_then_makes_it() {
    let shop = shop().await;
    let (member, sub) = subscribed_member(&shop, "upgrader@example.com").await;
    let preview: ChangePreview = member
        .call(
            "billing/subscription/preview",
            &[("id", sub.id.as_str()), ("price_id", shop.yearly.as_str())],
        )
        .await
        .ok();
    assert!(preview.charged_now);
    assert!(preview.amount_due.amount_minor > 17_000 && preview.amount_due.amount_minor <= 19_000);
    let switched: MemberSubscription = member
        .call(
            "billing/subscription/switch",
            &[("id", sub.id.as_str()), ("price_id", shop.yearly.as_str())],
        )
        .await
        .ok();
    assert_eq!(switched.price_id, shop.yearly);
    let invoice = stripe_get(
        &shop.emulator,
        &format!(
            "/v1/invoices/{}",
            stripe_get(&shop.emulator, &format!("/v1/subscriptions/{}", sub.id)).await
                ["latest_invoice"]
                .as_str()
                .unwrap()
        ),
    )
    .await;
    assert_eq!(
        invoice["amount_paid"].as_i64().unwrap(),
        preview.amount_due.amount_minor
    );
}

#[tokio::test]
async fn a_declined_switch_leaves_the_plan_as_it_was() {
    let shop = shop().await;
    let (member, sub) = subscribed_member(&shop, "declined@example.com").await;
    let live = stripe_get(&shop.emulator, &format!("/v1/subscriptions/{}", sub.id)).await;
    make_card_fail(&shop.emulator, live["customer"].as_str().unwrap(), &sub.id).await;
    let answer = member
        .call::<MemberSubscription>(
            "billing/subscription/switch",
            &[("id", sub.id.as_str()), ("price_id", shop.yearly.as_str())],
        )
        .await;
    assert!(matches!(answer.err(), AppError::Payment(m) if m.contains("declined")));
    let after = stripe_get(&shop.emulator, &format!("/v1/subscriptions/{}", sub.id)).await;
    assert_eq!(
        after["items"]["data"][0]["price"]["id"],
        shop.monthly.as_str()
    );
}

#[tokio::test]
async fn the_only_card_of_a_live_plan_cannot_be_removed() {
    let shop = shop().await;
    let (member, _) = subscribed_member(&shop, "cards@example.com").await;
    let cards: Vec<Card> = member.call("billing/cards", &[]).await.ok();
    assert_eq!(cards.len(), 1);
    let answer = member
        .call::<Vec<Card>>("billing/cards/remove", &[("id", &cards[0].id)])
        .await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    let (stranger, _) = sign_up_member(&shop.app, "thief@example.com").await;
    let stolen = stranger
        .call::<Vec<Card>>("billing/cards/default", &[("id", &cards[0].id)])
        .await;
    assert_eq!(stolen.status, StatusCode::NOT_FOUND);

    // With a second card the first may go, and the second becomes the default.
    let customer = stripe_get(
        &shop.emulator,
        &format!("/v1/payment_methods/{}", cards[0].id),
    )
    .await["customer"]
        .as_str()
        .unwrap()
        .to_owned();
    stripe_post(
        &shop.emulator,
        "/v1/payment_methods/pm_card_mastercard/attach",
        &[("customer", customer.as_str())],
    )
    .await;
    let left: Vec<Card> = member
        .call("billing/cards/remove", &[("id", &cards[0].id)])
        .await
        .ok();
    assert_eq!(left.len(), 1);
    assert!(left[0].is_default);
    assert_eq!(left[0].last4, "4444");
}

#[tokio::test]
async fn an_unrecognised_address_is_flagged_and_a_valid_one_verified() {
    let shop = shop().await;
    let (member, _) = sign_up_member(&shop.app, "address@example.com").await;
    let form = |postal: &'static str| {
        vec![
            ("form[line1]", "1 Unter den Linden"),
            ("form[city]", "Berlin"),
            ("form[postal_code]", postal),
            ("form[country]", "de"),
        ]
    };
    let bad: AddressPage = member.call("billing/address/save", &form("1")).await.ok();
    assert_eq!(bad.location, TaxLocation::NotRecognised);
    assert!(!bad.consequence.is_empty());
    let reread: AddressPage = member.call("billing/address", &[]).await.ok();
    assert_eq!(
        reread.location,
        TaxLocation::NotRecognised,
        "read back from Stripe"
    );
    let good: AddressPage = member
        .call("billing/address/save", &form("10115"))
        .await
        .ok();
    assert_eq!(good.location, TaxLocation::Verified);
    assert_eq!(good.address.country, "DE");

    let missing = member
        .call::<AddressPage>(
            "billing/address/save",
            &[
                ("form[line1]", "x"),
                ("form[city]", ""),
                ("form[postal_code]", "1"),
                ("form[country]", "DE"),
            ],
        )
        .await;
    assert_eq!(
        missing.err().field_message("city").as_deref(),
        Some("Enter your city.")
    );

    let bad_vat = member
        .call::<AddressPage>(
            "billing/tax-ids/add",
            &[("kind", "eu_vat"), ("value", "12")],
        )
        .await;
    assert!(bad_vat.err().field_message("tax_id").is_some());
    let with_vat: AddressPage = member
        .call(
            "billing/tax-ids/add",
            &[("kind", "eu_vat"), ("value", "DE123456789")],
        )
        .await
        .ok();
    assert_eq!(with_vat.tax_ids.len(), 1);
    let without: AddressPage = member
        .call("billing/tax-ids/remove", &[("id", &with_vat.tax_ids[0].id)])
        .await
        .ok();
    assert!(without.tax_ids.is_empty());
}

#[tokio::test]
async fn plans_list_what_is_on_sale_and_the_portal_returns_to_the_overview() {
    let shop = shop().await;
    let (member, _) = sign_up_member(&shop.app, "browser@example.com").await;
    let plans: PlansPage = member.call("billing/plans", &[]).await.ok();
    assert_eq!(plans.offers.len(), 1);
    assert_eq!(plans.offers[0].prices.len(), 2);
    let portal: Redirect = member.call("billing/portal", &[]).await.ok();
    let page = reqwest::get(&portal.url)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("https://billing.example.com/billing"));
}

#[tokio::test]
async fn stripe_writes_are_retried_through_transient_failures_but_not_forever() {
    use stripe_emulator::Fault;
    let shop = shop().await;
    let (member, _) = sign_up_member(&shop.app, "flaky@example.com").await;
    // Two 500s then success: the customer is created once, under one idempotency key.
    shop.emulator
        .emulator
        .inject_faults([Fault::ServerError, Fault::RateLimit]);
    let portal: Redirect = member.call("billing/portal", &[]).await.ok();
    assert!(portal.url.contains("/p/session/") || portal.url.starts_with("http"));
    let customers = stripe_get(&shop.emulator, "/v1/customers?email=flaky@example.com").await;
    assert_eq!(customers["data"].as_array().unwrap().len(), 1);

    // Three in a row exhaust the attempts: the member gets a clear error, nothing is created.
    let (other, _) = sign_up_member(&shop.app, "unlucky@example.com").await;
    shop.emulator
        .emulator
        .inject_faults([Fault::ServerError; 3]);
    let answer = other.call::<Redirect>("billing/portal", &[]).await;
    assert!(matches!(answer.err(), AppError::Payment(_)));
    let none = stripe_get(&shop.emulator, "/v1/customers?email=unlucky@example.com").await;
    assert!(none["data"].as_array().unwrap().is_empty());
}

/// A one-time product in the catalog, imported from the emulator with `metadata`.
async fn one_off(shop: &Shop, name: &str, metadata: &[(&str, &str)]) -> String {
    let mut form = vec![("name", name)];
    form.extend_from_slice(metadata);
    let product = stripe_post(&shop.emulator, "/v1/products", &form).await;
    let price = stripe_post(
        &shop.emulator,
        "/v1/prices",
        &[
            ("product", product["id"].as_str().unwrap()),
            ("currency", "eur"),
            ("unit_amount", "2500"),
        ],
    )
    .await;
    shop.app.call::<Value>("catalog/import", &[]).await.ok();
    price["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_top_up_extends_paid_until_by_its_months() {
    let shop = shop().await;
    let top_up = one_off(
        &shop,
        "Pro for 3 months",
        &[
            ("metadata[accountType]", "Pro"),
            ("metadata[interval]", "3"),
        ],
    )
    .await;
    let (member, _) = sign_up_member(&shop.app, "topup@example.com").await;
    let plans: PlansPage = member.call("billing/plans", &[]).await.ok();
    let offer = plans
        .offers
        .iter()
        .find(|o| o.name == "Pro for 3 months")
        .expect("on offer");
    assert_eq!(offer.grants.as_deref(), Some("Pro for 3 months"));
    let session = checkout(&member, &top_up).await;
    let stored = stripe_get(
        &shop.emulator,
        &format!("/v1/checkout/sessions/{}", session["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(stored["mode"], "payment");
    pay_checkout(&session, "4242424242424242").await;
    eventually("the top-up to grant access", || async {
        member_access(&member).await.status == AccessStatus::TopUp
    })
    .await;
    let until = member_access(&member).await.until.expect("paid until");
    let days = (until - chrono::Utc::now()).num_days();
    assert!((88..=92).contains(&days), "{days} days");
}

#[tokio::test]
async fn a_sold_out_ticket_cannot_be_bought() {
    let shop = shop().await;
    let ticket = one_off(&shop, "Meetup ticket", &[("metadata[capacity]", "1")]).await;
    let (first, _) = sign_up_member(&shop.app, "first@example.com").await;
    let session = checkout(&first, &ticket).await;
    // The open session holds the last seat: nobody else may start paying for it.
    let (second, _) = sign_up_member(&shop.app, "second@example.com").await;
    let held = second
        .call::<Redirect>("billing/checkout", &[("price_id", &ticket)])
        .await;
    assert_eq!(held.status, StatusCode::CONFLICT);
    pay_checkout(&session, "4242424242424242").await;
    eventually("the purchase to be recorded", || async {
        let plans: PlansPage = second.call("billing/plans", &[]).await.ok();
        plans
            .offers
            .iter()
            .any(|o| o.name == "Meetup ticket" && o.sold_out())
    })
    .await;
    let sold_out = second
        .call::<Redirect>("billing/checkout", &[("price_id", &ticket)])
        .await;
    assert!(matches!(sold_out.err(), AppError::Conflict(m) if m.contains("sold out")));
}

/// Switches Stripe Tax on, in the emulator and in Paydesk's settings, with `behaviour`.
async fn with_automatic_tax(shop: &Shop, behaviour: &'static str) {
    shop.emulator.emulator.set_tax_enabled(true);
    let mut form = crate::helpers::settings_form(&shop.emulator.base_url, "");
    for field in form.iter_mut() {
        match field.0 {
            "form[automatic_tax]" => field.1 = "true",
            "form[tax_behavior]" => field.1 = behaviour,
            _ => {}
        }
    }
    shop.app
        .call::<Value>("settings/stripe/save", &form)
        .await
        .ok();
}

async fn save_postal_code(member: &TestApp, postal_code: &'static str) -> AddressPage {
    member
        .call(
            "billing/address/save",
            &[
                ("form[line1]", "1 Unter den Linden"),
                ("form[city]", "Berlin"),
                ("form[postal_code]", postal_code),
                ("form[country]", "DE"),
            ],
        )
        .await
        .ok()
}

async fn automatic_tax_of(shop: &Shop, sub: &str) -> Value {
    stripe_get(&shop.emulator, &format!("/v1/subscriptions/{sub}")).await["automatic_tax"]
        ["enabled"]
        .clone()
}

#[tokio::test]
async fn with_bypass_an_unrecognised_address_turns_automatic_tax_off_until_it_is_fixed() {
    let shop = shop().await;
    with_automatic_tax(&shop, "bypass").await;
    let (member, sub) = subscribed_member(&shop, "bypass@example.com").await;
    assert_eq!(automatic_tax_of(&shop, &sub.id).await, true);

    let page = save_postal_code(&member, "1").await;
    assert_eq!(page.location, TaxLocation::NotRecognised);
    assert!(page.consequence.contains("no tax is added"));
    assert_eq!(
        automatic_tax_of(&shop, &sub.id).await,
        false,
        "renewals go on untaxed"
    );

    let page = save_postal_code(&member, "10115").await;
    assert_eq!(page.location, TaxLocation::Verified);
    assert_eq!(
        automatic_tax_of(&shop, &sub.id).await,
        true,
        "tax is back on"
    );
}

#[tokio::test]
async fn with_require_billing_address_tax_stays_on_and_the_member_is_told_renewals_wait() {
    let shop = shop().await;
    with_automatic_tax(&shop, "require_billing_address").await;
    let (member, sub) = subscribed_member(&shop, "require@example.com").await;
    let page = save_postal_code(&member, "1").await;
    assert_eq!(page.location, TaxLocation::NotRecognised);
    assert!(page.consequence.contains("Renewals wait"));
    assert_eq!(automatic_tax_of(&shop, &sub.id).await, true);

    // The renewal comes due: Stripe holds it in draft and the member is asked for an address.
    shop.emulator.emulator.advance_clock(32 * 86_400);
    eventually("the held renewal to reach the member", || async {
        member_access(&member).await.action.is_some_and(|a| {
            a.kind == "fix_address" && a.url.as_deref() == Some("/billing/address")
        })
    })
    .await;
    assert_eq!(member_access(&member).await.status, AccessStatus::Active);

    // A recognised address releases it: finalized with tax, charged, and the notice goes.
    save_postal_code(&member, "10115").await;
    let latest = stripe_get(&shop.emulator, &format!("/v1/subscriptions/{}", sub.id)).await
        ["latest_invoice"]
        .as_str()
        .unwrap()
        .to_owned();
    let invoice = stripe_get(&shop.emulator, &format!("/v1/invoices/{latest}")).await;
    assert_eq!(invoice["status"], "paid");
    assert_eq!(invoice["total"], 2261, "€19 plus 19% German VAT");
    eventually("the notice to go", || async {
        member_access(&member).await.action.is_none()
    })
    .await;
}

#[tokio::test]
async fn a_plan_with_a_trial_starts_the_first_subscription_trialing() {
    let (app, emulator) = spawn_app_with_stripe().await;
    register_webhook(&app, &emulator).await;
    let price = plan_in_catalog(&app, &emulator, &[("metadata[trial_period_days]", "14")]).await;
    let (member, _) = sign_up_member(&app, "trial@example.com").await;
    let plans: PlansPage = member.call("billing/plans", &[]).await.ok();
    assert_eq!(plans.offers[0].trial_days, Some(14));
    let session = checkout(&member, &price).await;
    pay_checkout(&session, "4242424242424242").await;
    eventually("the trial to grant access", || async {
        member_access(&member).await.status == AccessStatus::Trialing
    })
    .await;
    let overview: MemberOverview = member.call("billing/overview", &[]).await.ok();
    let sub = overview.subscription.expect("subscription");
    assert_eq!(sub.status, "trialing");
    let days = (sub.trial_end.expect("trial end") - chrono::Utc::now()).num_days();
    assert!((13..=14).contains(&days), "{days}");
}
