#![allow(clippy::unwrap_used)] // a test's panic is its failure report
//! The admin console: the dashboard's figures through the whole pipeline (emulator, signed
//! webhooks, worker, rollup triggers), the member, subscription and dunning lists, one member in
//! full, the actions an admin takes on a member (each audited), and admins inviting admins.
//! Lists whose subject is not the pipeline are seeded straight into Postgres.

use crate::helpers::{
    eventually, make_card_fail, member_access, pay_checkout, plan_in_catalog, register_webhook,
    sign_up_member, spawn_app_with_stripe, stripe_delete, stripe_get, stripe_post, TestApp,
    ADMIN_EMAIL, PASSWORD,
};
use app::api::console::Invitation;
use app::model::{
    AccessStatus, AdminsPage, AuditEntry, CreatedInvite, Currency, Dashboard, MemberDetail,
    MemberOverview, MemberRow, Money, Page, PastDuePage, Redirect, SubscriptionRow,
};
use chrono::{DateTime, Duration, NaiveTime, Utc};
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::BTreeSet;
use uuid::Uuid;

fn money(amount_minor: i64, currency: &str) -> Money {
    Money::new(amount_minor, Currency::parse(currency).unwrap())
}

// ---------------------------------------------------------------------------------------------
// A shop with webhooks flowing, and members who subscribe through the emulator's Checkout.
// ---------------------------------------------------------------------------------------------

struct Shop {
    app: TestApp,
    emulator: stripe_emulator::Running,
    /// "Pro", €19 a month.
    monthly: String,
    /// "Pro", €190 a year.
    yearly: String,
    /// "Team", $25 a month.
    usd_monthly: String,
}

async fn new_price(
    emulator: &stripe_emulator::Running,
    product: &str,
    currency: &str,
    unit_amount: &str,
    interval: &str,
) -> String {
    stripe_post(
        emulator,
        "/v1/prices",
        &[
            ("product", product),
            ("currency", currency),
            ("unit_amount", unit_amount),
            ("recurring[interval]", interval),
        ],
    )
    .await["id"]
        .as_str()
        .expect("price id")
        .to_owned()
}

async fn shop() -> Shop {
    let (app, emulator) = spawn_app_with_stripe().await;
    register_webhook(&app, &emulator).await;
    let monthly = plan_in_catalog(&app, &emulator, &[]).await;
    let pro = stripe_get(&emulator, &format!("/v1/prices/{monthly}")).await["product"]
        .as_str()
        .expect("product")
        .to_owned();
    let yearly = new_price(&emulator, &pro, "eur", "19000", "year").await;
    let team = stripe_post(&emulator, "/v1/products", &[("name", "Team")]).await;
    let usd_monthly = new_price(
        &emulator,
        team["id"].as_str().expect("team"),
        "usd",
        "2500",
        "month",
    )
    .await;
    app.call::<Value>("catalog/import", &[]).await.ok();
    Shop {
        app,
        emulator,
        monthly,
        yearly,
        usd_monthly,
    }
}

struct Subscriber {
    member: TestApp,
    user_id: String,
    customer: String,
    subscription: String,
}

/// Signs a member up and has them pay a hosted Checkout for `price`; `extra` adds session
/// parameters (a coupon, a trial).
async fn subscribe(shop: &Shop, email: &str, price: &str, extra: &[(&str, &str)]) -> Subscriber {
    let (member, user_id) = sign_up_member(&shop.app, email).await;
    let customer = stripe_post(&shop.emulator, "/v1/customers", &[("email", email)]).await["id"]
        .as_str()
        .expect("customer")
        .to_owned();
    let mut form = vec![
        ("mode", "subscription"),
        ("customer", customer.as_str()),
        ("client_reference_id", user_id.as_str()),
        ("line_items[0][price]", price),
        ("line_items[0][quantity]", "1"),
        ("success_url", "https://billing.example.com/billing"),
    ];
    form.extend_from_slice(extra);
    let session = stripe_post(&shop.emulator, "/v1/checkout/sessions", &form).await;
    assert!(session["url"].is_string(), "{session}");
    pay_checkout(&session, "4242424242424242").await;
    let subscriptions = stripe_get(
        &shop.emulator,
        &format!("/v1/subscriptions?customer={customer}"),
    )
    .await;
    let subscription = subscriptions["data"][0]["id"]
        .as_str()
        .expect("a subscription after Checkout")
        .to_owned();
    Subscriber {
        member,
        user_id,
        customer,
        subscription,
    }
}

/// Subscribes through Paydesk's own Checkout, as a member's browser does.
async fn subscribe_in_paydesk(shop: &Shop, email: &str) -> Subscriber {
    let (member, user_id) = sign_up_member(&shop.app, email).await;
    let redirect: Redirect = member
        .call("billing/checkout", &[("price_id", &shop.monthly)])
        .await
        .ok();
    let id = redirect.url.rsplit('/').next().expect("session id");
    pay_checkout(
        &serde_json::json!({ "id": id, "url": redirect.url }),
        "4242424242424242",
    )
    .await;
    eventually("access after the webhook", || async {
        member_access(&member).await.status == AccessStatus::Active
    })
    .await;
    let overview: MemberOverview = member.call("billing/overview", &[]).await.ok();
    let subscription = overview.subscription.expect("subscription").id;
    let customer: String =
        sqlx::query_scalar("SELECT customer_id FROM subscriptions WHERE id = $1")
            .bind(&subscription)
            .fetch_one(&shop.app.pool)
            .await
            .unwrap();
    Subscriber {
        member,
        user_id,
        customer,
        subscription,
    }
}

/// Paydesk's copy of a subscription: its status and whether it ends with its period.
async fn stored(app: &TestApp, subscription: &str) -> Option<(String, bool)> {
    sqlx::query_as("SELECT status, cancel_at_period_end FROM subscriptions WHERE id = $1")
        .bind(subscription)
        .fetch_optional(&app.pool)
        .await
        .unwrap()
}

async fn stored_as(app: &TestApp, subscription: &str, status: &str, canceling: bool) {
    eventually(
        &format!("{subscription} to be stored as {status} (canceling: {canceling})"),
        || async { stored(app, subscription).await == Some((status.to_owned(), canceling)) },
    )
    .await;
}

async fn dashboard(app: &TestApp) -> Dashboard {
    app.call("admin/dashboard", &[]).await.ok()
}

/// The dashboard once `settled` holds, or as it is after 20 s, for the assertion to show.
async fn dashboard_once(app: &TestApp, settled: impl Fn(&Dashboard) -> bool) -> Dashboard {
    let mut last = dashboard(app).await;
    for _ in 0..200 {
        if settled(&last) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        last = dashboard(app).await;
    }
    last
}

/// This month's net revenue per currency, as the dashboard shows it.
fn revenue_this_month(d: &Dashboard) -> Vec<(String, i64)> {
    d.revenue
        .iter()
        .map(|s| (s.currency.code().to_owned(), *s.net.last().unwrap()))
        .collect()
}

async fn recount_rollups(app: &TestApp) {
    sqlx::query("SELECT rebuild_admin_rollups()")
        .execute(&app.pool)
        .await
        .unwrap();
}

/// The console's subscription list with `filters` (`status`, `plan`, `after`).
async fn subscription_list(
    app: &TestApp,
    filters: &[(&str, &str)],
) -> crate::helpers::Answer<Page<SubscriptionRow>> {
    let mut form: Vec<(String, String)> = vec![
        ("query[status]".into(), String::new()),
        ("query[plan]".into(), String::new()),
    ];
    for (key, value) in filters {
        let key = format!("query[{key}]");
        form.retain(|(k, _)| *k != key);
        form.push((key, (*value).to_owned()));
    }
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.call("admin/subscriptions", &form).await
}

#[tokio::test]
async fn mrr_counts_paying_subscriptions_at_a_months_share_after_discounts_in_each_currency() {
    let shop = shop().await;
    let coupon = stripe_post(
        &shop.emulator,
        "/v1/coupons",
        &[("percent_off", "50"), ("duration", "forever")],
    )
    .await["id"]
        .as_str()
        .expect("coupon")
        .to_owned();
    let monthly = subscribe(&shop, "monthly@example.com", &shop.monthly, &[]).await;
    let yearly = subscribe(&shop, "yearly@example.com", &shop.yearly, &[]).await;
    let half = subscribe(
        &shop,
        "half@example.com",
        &shop.monthly,
        &[("discounts[0][coupon]", coupon.as_str())],
    )
    .await;
    let leaving = subscribe(&shop, "leaving@example.com", &shop.monthly, &[]).await;
    let trial = subscribe(
        &shop,
        "trial@example.com",
        &shop.monthly,
        &[("subscription_data[trial_period_days]", "14")],
    )
    .await;
    let dollars = subscribe(&shop, "dollars@example.com", &shop.usd_monthly, &[]).await;
    stripe_post(
        &shop.emulator,
        &format!("/v1/subscriptions/{}", leaving.subscription),
        &[("cancel_at_period_end", "true")],
    )
    .await;
    for (who, status, canceling) in [
        (&monthly, "active", false),
        (&yearly, "active", false),
        (&half, "active", false),
        (&leaving, "active", true),
        (&trial, "trialing", false),
        (&dollars, "active", false),
    ] {
        stored_as(&shop.app, &who.subscription, status, canceling).await;
    }

    // €19 + €190/12 + €19 at half price + €19 ending with its period = €760/year a twelfth is
    // €63.33; the trial brings in nothing yet; dollars are summed apart.
    let expected_mrr = vec![money(6_333, "eur"), money(2_500, "usd")];
    // Paid at Checkout: €19 + €190 + €9.50 + €19, and $25; the trial paid nothing.
    let expected_revenue = vec![("eur".to_owned(), 23_750), ("usd".to_owned(), 2_500)];
    let before = dashboard_once(&shop.app, |d| {
        d.mrr == expected_mrr && revenue_this_month(d) == expected_revenue
    })
    .await;
    assert_eq!(before.mode, "test");
    assert_eq!(before.mrr, expected_mrr);
    assert_eq!(
        (before.active, before.trialing, before.past_due),
        (5, 1, 0),
        "the canceling subscription is still active; the trial is counted apart"
    );
    assert_eq!(before.churned_this_month, 0);
    assert_eq!(before.months.len(), 12);
    assert_eq!(before.started.last(), Some(&6));
    assert_eq!(before.ended.last(), Some(&0));
    assert_eq!(revenue_this_month(&before), expected_revenue);

    // Each subscription's own share, as the subscription list shows it.
    let rows = subscription_list(&shop.app, &[]).await.ok().items;
    let mrr_of = |sub: &Subscriber| {
        rows.iter()
            .find(|r| r.id == sub.subscription)
            .unwrap_or_else(|| panic!("{} listed", sub.subscription))
            .mrr
            .clone()
    };
    assert_eq!(mrr_of(&monthly), Some(money(1_900, "eur")));
    assert_eq!(mrr_of(&yearly), Some(money(1_583, "eur")));
    assert_eq!(mrr_of(&half), Some(money(950, "eur")));
    assert_eq!(mrr_of(&leaving), Some(money(1_900, "eur")));
    assert_eq!(mrr_of(&trial), None, "a trial brings in nothing yet");
    assert_eq!(mrr_of(&dollars), Some(money(2_500, "usd")));

    // The rollups the triggers kept are what a recount from the rows gives.
    recount_rollups(&shop.app).await;
    assert_eq!(dashboard(&shop.app).await, before);

    // Canceled now: out of MRR and active, counted as churned this month.
    stripe_delete(
        &shop.emulator,
        &format!("/v1/subscriptions/{}", monthly.subscription),
    )
    .await;
    stored_as(&shop.app, &monthly.subscription, "canceled", false).await;
    let expected_mrr = vec![money(4_433, "eur"), money(2_500, "usd")];
    let after = dashboard_once(&shop.app, |d| d.mrr == expected_mrr).await;
    assert_eq!(after.mrr, expected_mrr, "€190/12 + €9.50 + €19 = €44.33");
    assert_eq!((after.active, after.trialing), (4, 1));
    assert_eq!(after.churned_this_month, 1);
    assert_eq!(after.ended.last(), Some(&1));
    assert_eq!(
        after.started.last(),
        Some(&6),
        "it still started this month"
    );
    assert_eq!(mrr_of_listed(&shop.app, &monthly.subscription).await, None);
    recount_rollups(&shop.app).await;
    assert_eq!(dashboard(&shop.app).await, after);
}

async fn mrr_of_listed(app: &TestApp, subscription: &str) -> Option<Money> {
    subscription_list(app, &[])
        .await
        .ok()
        .items
        .into_iter()
        .find(|r| r.id == subscription)
        .expect("listed")
        .mrr
}

#[tokio::test]
async fn a_failed_renewal_shows_in_dunning_with_what_is_at_risk_and_the_retries_left() {
    let shop = shop().await;
    let (_member, user_id) = sign_up_member(&shop.app, "late@example.com").await;
    let now = Utc::now().timestamp().to_string();
    let clock = stripe_post(
        &shop.emulator,
        "/v1/test_helpers/test_clocks",
        &[("frozen_time", &now)],
    )
    .await["id"]
        .as_str()
        .expect("clock")
        .to_owned();
    let customer = stripe_post(
        &shop.emulator,
        "/v1/customers",
        &[("email", "late@example.com"), ("test_clock", &clock)],
    )
    .await["id"]
        .as_str()
        .expect("customer")
        .to_owned();
    let session = stripe_post(
        &shop.emulator,
        "/v1/checkout/sessions",
        &[
            ("mode", "subscription"),
            ("customer", &customer),
            ("client_reference_id", &user_id),
            ("line_items[0][price]", &shop.monthly),
            ("line_items[0][quantity]", "1"),
            ("success_url", "https://billing.example.com/billing"),
        ],
    )
    .await;
    pay_checkout(&session, "4242424242424242").await;
    let sub = stripe_get(
        &shop.emulator,
        &format!("/v1/subscriptions?customer={customer}"),
    )
    .await["data"][0]["id"]
        .as_str()
        .expect("subscription")
        .to_owned();
    stored_as(&shop.app, &sub, "active", false).await;
    make_card_fail(&shop.emulator, &customer, &sub).await;
    stripe_post(
        &shop.emulator,
        &format!("/v1/test_helpers/test_clocks/{clock}/advance"),
        &[(
            "frozen_time",
            &(now.parse::<i64>().unwrap() + 32 * 86_400).to_string(),
        )],
    )
    .await;
    stored_as(&shop.app, &sub, "past_due", false).await;

    let unpaid = stripe_get(&shop.emulator, &format!("/v1/subscriptions/{sub}")).await
        ["latest_invoice"]
        .as_str()
        .expect("renewal invoice")
        .to_owned();
    let invoice = stripe_get(&shop.emulator, &format!("/v1/invoices/{unpaid}")).await;
    let next_attempt = invoice["next_payment_attempt"]
        .as_i64()
        .and_then(|s| DateTime::from_timestamp(s, 0));
    assert!(next_attempt.is_some(), "Stripe retries: {invoice}");
    let page = eventually_past_due(&shop.app, |p| {
        p.rows
            .first()
            .is_some_and(|r| r.attempts == 1 && r.at_risk.is_some() && r.failure_message.is_some())
    })
    .await;
    assert_eq!(page.count, 1);
    assert_eq!(page.next, None);
    let row = &page.rows[0];
    assert_eq!(row.subscription_id, sub);
    assert_eq!(row.status, "past_due");
    assert_eq!(row.member_email.as_deref(), Some("late@example.com"));
    assert_eq!(row.plan.as_deref(), Some("Pro"));
    assert_eq!(row.invoice_id.as_deref(), Some(unpaid.as_str()));
    assert_eq!(row.at_risk, Some(money(1_900, "eur")));
    assert_eq!(row.attempts, 1);
    assert_eq!(
        row.retries_left, 3,
        "four tries in all under Stripe's default"
    );
    assert_eq!(row.next_attempt, next_attempt);
    assert!(row.failed_at.is_some());
    assert!(row.failure_message.is_some());

    // Past due still counts as revenue coming in, and shows apart on the dashboard.
    let d = dashboard(&shop.app).await;
    assert_eq!(d.mrr, vec![money(1_900, "eur")]);
    assert_eq!((d.active, d.past_due), (0, 1));
}

async fn past_due_page(app: &TestApp, after: Option<&str>) -> crate::helpers::Answer<PastDuePage> {
    match after {
        Some(after) => app.call("admin/past-due", &[("after", after)]).await,
        None => app.call("admin/past-due", &[]).await,
    }
}

/// The dunning list once `settled` holds, or as it is after 20 s, for the assertion to show.
async fn eventually_past_due(app: &TestApp, settled: impl Fn(&PastDuePage) -> bool) -> PastDuePage {
    let mut last = past_due_page(app, None).await.ok();
    for _ in 0..200 {
        if settled(&last) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        last = past_due_page(app, None).await.ok();
    }
    last
}

// ---------------------------------------------------------------------------------------------
// Lists seeded straight into the tables the worker keeps.
// ---------------------------------------------------------------------------------------------

/// 2026-01-01T00:00:00Z less `seconds`: a past every seeded row is dated from.
fn before_new_year(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600 - seconds, 0).unwrap()
}

async fn seed_member(app: &TestApp, email: &str, name: &str, joined: DateTime<Utc>) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO users (email, name, password_hash, role, created_at)
         VALUES ($1, $2, 'not-a-password-hash', 'member', $3) RETURNING id",
    )
    .bind(email)
    .bind(name)
    .bind(joined)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

async fn seed_customer(app: &TestApp, user: Option<Uuid>, id: &str, tax_location: Option<&str>) {
    sqlx::query(
        "INSERT INTO customers (mode, id, user_id, tax_location) VALUES ('test', $1, $2, $3)",
    )
    .bind(id)
    .bind(user)
    .bind(tax_location)
    .execute(&app.pool)
    .await
    .unwrap();
}

async fn seed_product(app: &TestApp, name: &str) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO products (mode, kind, name) VALUES ('test', 'plan', $1) RETURNING id",
    )
    .bind(name)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// A subscription row as the worker would have written it.
struct Seeded<'a> {
    id: &'a str,
    customer: &'a str,
    status: &'a str,
    canceling: bool,
    product: Option<Uuid>,
    currency: &'a str,
    annual_amount: i64,
    created: DateTime<Utc>,
    latest_invoice: Option<&'a str>,
}

impl<'a> Seeded<'a> {
    fn new(id: &'a str, customer: &'a str, status: &'a str) -> Self {
        Self {
            id,
            customer,
            status,
            canceling: false,
            product: None,
            currency: "eur",
            annual_amount: 22_800,
            created: before_new_year(0),
            latest_invoice: None,
        }
    }
}

async fn seed_subscription(app: &TestApp, s: Seeded<'_>) {
    sqlx::query(
        "INSERT INTO subscriptions (mode, id, customer_id, status, cancel_at_period_end,
             product_id, currency, annual_amount, created, latest_invoice, current_period_end,
             ended_at)
         VALUES ('test', $1, $2, $3, $4, $5, $6, $7, $8, $9, $8 + interval '1 month',
                 CASE WHEN $3 = 'canceled' THEN $8 + interval '1 day' END)",
    )
    .bind(s.id)
    .bind(s.customer)
    .bind(s.status)
    .bind(s.canceling)
    .bind(s.product)
    .bind(s.currency)
    .bind(s.annual_amount)
    .bind(s.created)
    .bind(s.latest_invoice)
    .execute(&app.pool)
    .await
    .unwrap();
}

/// An open invoice Stripe is still trying to collect.
struct Unpaid<'a> {
    id: &'a str,
    customer: &'a str,
    subscription: &'a str,
    currency: &'a str,
    amount_due: i64,
    amount_paid: i64,
    attempt_count: i32,
    next_payment_attempt: Option<DateTime<Utc>>,
    /// The payment whose last attempt failed, and why, once Paydesk has heard of it.
    failed_payment: Option<(&'a str, &'a str)>,
}

async fn seed_unpaid_invoice(app: &TestApp, i: Unpaid<'_>) {
    sqlx::query(
        "INSERT INTO invoices (mode, id, customer_id, subscription_id, status, currency, total,
             amount_due, amount_paid, created, attempt_count, next_payment_attempt,
             payment_intent)
         VALUES ('test', $1, $2, $3, 'open', $4, $5, $5, $6, $7, $8, $9, $10)",
    )
    .bind(i.id)
    .bind(i.customer)
    .bind(i.subscription)
    .bind(i.currency)
    .bind(i.amount_due)
    .bind(i.amount_paid)
    .bind(before_new_year(0))
    .bind(i.attempt_count)
    .bind(i.next_payment_attempt)
    .bind(i.failed_payment.map(|(id, _)| id))
    .execute(&app.pool)
    .await
    .unwrap();
    if let Some((id, why)) = i.failed_payment {
        sqlx::query(
            "INSERT INTO payments (mode, id, customer_id, invoice_id, status, currency, amount,
                 failure_message, created)
             VALUES ('test', $1, $2, $3, 'requires_payment_method', $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(i.customer)
        .bind(i.id)
        .bind(i.currency)
        .bind(i.amount_due)
        .bind(why)
        .bind(before_new_year(0))
        .execute(&app.pool)
        .await
        .unwrap();
    }
}

/// A past-due subscription whose renewal invoice Stripe failed to collect once.
async fn seed_in_dunning(app: &TestApp, n: i64, customer: &str) {
    let (sub, invoice, payment) = (
        format!("sub_dunning{n:02}"),
        format!("in_dunning{n:02}"),
        format!("pi_dunning{n:02}"),
    );
    seed_subscription(
        app,
        Seeded {
            created: before_new_year(100 + n),
            latest_invoice: Some(&invoice),
            ..Seeded::new(&sub, customer, "past_due")
        },
    )
    .await;
    seed_unpaid_invoice(
        app,
        Unpaid {
            id: &invoice,
            customer,
            subscription: &sub,
            currency: "eur",
            amount_due: 1_900,
            amount_paid: 0,
            attempt_count: 1,
            next_payment_attempt: Some(Utc::now() + Duration::days(3)),
            failed_payment: Some((&payment, "Your card was declined.")),
        },
    )
    .await;
}

/// The console's member list with `filters` (`q`, `status`, `plan`, `tax_unrecognized`,
/// `after`).
async fn member_list(
    app: &TestApp,
    filters: &[(&str, &str)],
) -> crate::helpers::Answer<Page<MemberRow>> {
    let mut form: Vec<(String, String)> = vec![
        ("query[q]".into(), String::new()),
        ("query[status]".into(), String::new()),
        ("query[plan]".into(), String::new()),
        ("query[tax_unrecognized]".into(), "false".into()),
    ];
    for (key, value) in filters {
        let key = format!("query[{key}]");
        form.retain(|(k, _)| *k != key);
        form.push((key, (*value).to_owned()));
    }
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.call("admin/members", &form).await
}

async fn emails_listed(app: &TestApp, filters: &[(&str, &str)]) -> BTreeSet<String> {
    let page = member_list(app, filters).await.ok();
    assert_eq!(page.next, None, "one page is enough here");
    page.items.into_iter().map(|r| r.email).collect()
}

fn set(emails: &[&str]) -> BTreeSet<String> {
    emails.iter().map(|e| (*e).to_owned()).collect()
}

#[tokio::test]
async fn members_are_found_by_part_of_a_name_the_start_of_an_address_or_a_customer_id_taken_literally(
) {
    let (app, _emulator) = spawn_app_with_stripe().await;
    let ada = seed_member(&app, "ada@example.com", "Ada Lovelace", before_new_year(1)).await;
    let grace = seed_member(
        &app,
        "grace.hopper@example.com",
        "Grace",
        before_new_year(2),
    )
    .await;
    seed_member(&app, "100%club@example.com", "Percent", before_new_year(3)).await;
    seed_member(&app, "1000club@example.com", "Thousand", before_new_year(4)).await;
    seed_member(&app, "a_b@example.com", "Underscore", before_new_year(5)).await;
    seed_member(&app, "axb@example.com", "Letter", before_new_year(6)).await;
    seed_customer(&app, Some(ada), "cus_ADA1", None).await;
    seed_customer(&app, Some(grace), "cus_GRACE1", None).await;

    assert_eq!(
        emails_listed(&app, &[("q", "LOVELACE")]).await,
        set(&["ada@example.com"])
    );
    assert_eq!(
        emails_listed(&app, &[("q", "hopper")]).await,
        set(&["grace.hopper@example.com"])
    );
    assert_eq!(
        emails_listed(&app, &[("q", "Grace.Hopper@Example.COM")]).await,
        set(&["grace.hopper@example.com"]),
        "an address finds addresses starting with it, whatever its case"
    );
    assert_eq!(
        emails_listed(&app, &[("q", "hopper@example.com")]).await,
        set(&[]),
        "an address is matched from its start"
    );
    assert_eq!(
        emails_listed(&app, &[("q", "@example.com")]).await.len(),
        6,
        "a domain is part of an address"
    );
    assert_eq!(
        emails_listed(&app, &[("q", "cus_GRACE1")]).await,
        set(&["grace.hopper@example.com"])
    );
    assert_eq!(
        emails_listed(&app, &[("q", "100%")]).await,
        set(&["100%club@example.com"]),
        "% is a percent sign, not a wildcard"
    );
    assert_eq!(
        emails_listed(&app, &[("q", "a_b")]).await,
        set(&["a_b@example.com"]),
        "_ is an underscore, not a wildcard"
    );
    assert_eq!(emails_listed(&app, &[("q", "nobody")]).await, set(&[]));
    let everyone = emails_listed(&app, &[]).await;
    assert_eq!(everyone.len(), 6, "admins are not members: {everyone:?}");
    let row = member_list(&app, &[("q", "ada@")])
        .await
        .ok()
        .items
        .remove(0);
    assert_eq!(row.user_id, ada);
    assert_eq!(row.name, "Ada Lovelace");
    assert_eq!(row.customer_id.as_deref(), Some("cus_ADA1"));
    assert_eq!((row.status, row.plan), (None, None));
}

#[tokio::test]
async fn members_are_narrowed_by_their_most_telling_subscription_plan_and_tax_location() {
    let (app, _emulator) = spawn_app_with_stripe().await;
    let pro = seed_product(&app, "Pro").await;
    let team = seed_product(&app, "Team").await;
    let subscribed = [
        ("active@example.com", "active", false, pro),
        ("trial@example.com", "trialing", false, team),
        ("late@example.com", "past_due", false, pro),
        ("leaving@example.com", "active", true, pro),
        ("gone@example.com", "canceled", false, pro),
        ("unpaid@example.com", "unpaid", false, pro),
        ("neverpaid@example.com", "incomplete_expired", false, pro),
    ];
    for (n, (email, status, canceling, product)) in (1..).zip(subscribed) {
        let user = seed_member(&app, email, "Someone", before_new_year(n)).await;
        let name = email.split('@').next().unwrap();
        let (customer, sub) = (format!("cus_{name}"), format!("sub_{name}"));
        seed_customer(&app, Some(user), &customer, None).await;
        seed_subscription(
            &app,
            Seeded {
                canceling,
                product: Some(product),
                ..Seeded::new(&sub, &customer, status)
            },
        )
        .await;
    }
    // The past-due subscription tells more than an older ended one.
    seed_subscription(
        &app,
        Seeded {
            product: Some(team),
            created: before_new_year(86_400),
            ..Seeded::new("sub_late_before", "cus_late", "canceled")
        },
    )
    .await;
    seed_member(&app, "none@example.com", "No customer", before_new_year(99)).await;
    let nowhere = seed_member(&app, "nowhere@example.com", "Abroad", before_new_year(100)).await;
    seed_customer(
        &app,
        Some(nowhere),
        "cus_nowhere",
        Some("unrecognized_location"),
    )
    .await;

    // Stripe's status: a subscription set to end with its period is still active.
    assert_eq!(
        emails_listed(&app, &[("status", "active")]).await,
        set(&["active@example.com", "leaving@example.com"])
    );
    assert_eq!(
        emails_listed(&app, &[("status", "trialing")]).await,
        set(&["trial@example.com"])
    );
    assert_eq!(
        emails_listed(&app, &[("status", "past_due")]).await,
        set(&["late@example.com"])
    );
    assert_eq!(
        emails_listed(&app, &[("status", "canceling")]).await,
        set(&["leaving@example.com"])
    );
    assert_eq!(
        emails_listed(&app, &[("status", "canceled")]).await,
        set(&["gone@example.com", "unpaid@example.com"])
    );
    assert_eq!(
        emails_listed(&app, &[("status", "none")]).await,
        set(&[
            "neverpaid@example.com",
            "none@example.com",
            "nowhere@example.com"
        ])
    );
    let pro_id = pro.to_string();
    assert_eq!(
        emails_listed(&app, &[("plan", pro_id.as_str())]).await,
        set(&[
            "active@example.com",
            "late@example.com",
            "leaving@example.com",
            "gone@example.com",
            "unpaid@example.com",
            "neverpaid@example.com",
        ])
    );
    let team_id = team.to_string();
    assert_eq!(
        emails_listed(&app, &[("plan", team_id.as_str()), ("status", "trialing")]).await,
        set(&["trial@example.com"])
    );
    assert_eq!(
        emails_listed(&app, &[("tax_unrecognized", "true")]).await,
        set(&["nowhere@example.com"])
    );

    let rows = member_list(&app, &[]).await.ok().items;
    let row = |email: &str| rows.iter().find(|r| r.email == email).unwrap().clone();
    let late_row = row("late@example.com");
    assert_eq!(late_row.status.as_deref(), Some("past_due"));
    assert_eq!(late_row.plan.as_deref(), Some("Pro"));
    let leaving_row = row("leaving@example.com");
    assert_eq!(leaving_row.status.as_deref(), Some("active"));
    assert!(leaving_row.cancel_at_period_end);
    assert!(row("nowhere@example.com").tax_unrecognized);
    assert!(!row("active@example.com").tax_unrecognized);
}

async fn seed_members(app: &TestApp, count: i64, first: i64) -> Vec<(DateTime<Utc>, Uuid)> {
    let mut seeded = Vec::new();
    for n in first..first + count {
        let joined = before_new_year(n);
        let id = seed_member(app, &format!("member{n:03}@example.com"), "Member", joined).await;
        seeded.push((joined, id));
    }
    seeded
}

#[tokio::test]
async fn a_page_holds_twenty_five_members_and_the_twenty_sixth_starts_the_next() {
    let (app, _emulator) = spawn_app_with_stripe().await;
    seed_members(&app, 25, 1).await;
    let page = member_list(&app, &[]).await.ok();
    assert_eq!(page.items.len(), 25);
    assert_eq!(page.next, None, "exactly one page");

    let oldest = seed_members(&app, 1, 1000).await[0].1;
    let first = member_list(&app, &[]).await.ok();
    assert_eq!(first.items.len(), 25);
    let next = first.next.expect("a second page");
    let second = member_list(&app, &[("after", next.as_str())]).await.ok();
    assert_eq!(second.items.len(), 1);
    assert_eq!(second.items[0].user_id, oldest);
    assert_eq!(second.next, None);
}

#[tokio::test]
async fn paging_through_members_never_repeats_or_skips_one_even_when_they_joined_at_once() {
    let (app, _emulator) = spawn_app_with_stripe().await;
    let mut seeded = Vec::new();
    for n in 0..60 {
        // Members 24 and 25, and 49 and 50, joined in the same microsecond: each pair straddles
        // a page boundary, so only the id orders them.
        let second = match n {
            25 => 24,
            50 => 49,
            other => other,
        };
        let joined = before_new_year(second);
        let id = seed_member(&app, &format!("member{n:02}@example.com"), "Member", joined).await;
        seeded.push((joined, id));
    }
    seeded.sort_by(|a, b| b.cmp(a));
    let expected: Vec<Uuid> = seeded.into_iter().map(|(_, id)| id).collect();

    let mut listed = Vec::new();
    let mut sizes = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let filters: Vec<(&str, &str)> = after.iter().map(|a| ("after", a.as_str())).collect();
        let page = member_list(&app, &filters).await.ok();
        sizes.push(page.items.len());
        listed.extend(page.items.into_iter().map(|r| r.user_id));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
        assert!(sizes.len() < 10, "paging does not end");
    }
    assert_eq!(sizes, vec![25, 25, 10]);
    assert_eq!(listed, expected, "newest first, the id breaking ties");
}

#[tokio::test]
async fn bad_member_filters_are_refused_and_members_cannot_list_members() {
    let (app, _emulator) = spawn_app_with_stripe().await;
    let (member, _) = sign_up_member(&app, "curious@example.com").await;
    for (filter, value) in [
        ("after", "garbage"),
        ("after", "notanumber_1234"),
        ("status", "everything"),
        ("plan", "not-a-uuid"),
    ] {
        let answer = member_list(&app, &[(filter, value)]).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{filter}={value}");
        let field = answer.err();
        assert!(
            field.field_message(filter).is_some(),
            "{filter}={value}: {field:?}"
        );
    }
    let long = "x".repeat(201);
    let answer = member_list(&app, &[("q", long.as_str())]).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);

    let refused = member_list(&member, &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let anonymous = member_list(&app.another_visitor(), &[]).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn subscriptions_are_listed_newest_first_by_status_and_plan_a_page_of_twenty_five_at_a_time()
{
    let (app, _emulator) = spawn_app_with_stripe().await;
    let pro = seed_product(&app, "Pro").await;
    let team = seed_product(&app, "Team").await;
    let owner = seed_member(&app, "owner@example.com", "Owner", before_new_year(0)).await;
    seed_customer(&app, Some(owner), "cus_owner", None).await;
    seed_customer(&app, None, "cus_stranger", None).await;
    let ids: Vec<String> = (0..25).map(|n| format!("sub_active{n:02}")).collect();
    for (n, id) in ids.iter().enumerate() {
        seed_subscription(
            &app,
            Seeded {
                product: Some(pro),
                created: before_new_year(10 + i64::try_from(n).unwrap()),
                ..Seeded::new(id, "cus_owner", "active")
            },
        )
        .await;
    }
    let page = subscription_list(&app, &[]).await.ok();
    assert_eq!(page.items.len(), 25);
    assert_eq!(page.next, None);
    assert_eq!(
        page.items.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        ids,
        "newest first"
    );
    let first = &page.items[0];
    assert_eq!(first.member_email.as_deref(), Some("owner@example.com"));
    assert_eq!(first.plan.as_deref(), Some("Pro"));
    assert_eq!(first.mrr, Some(money(1_900, "eur")));

    for (id, status, canceling, product, created) in [
        ("sub_trial", "trialing", false, team, 1),
        ("sub_late", "past_due", false, team, 2),
        ("sub_leaving", "active", true, team, 3),
        ("sub_gone", "canceled", false, pro, 4),
    ] {
        seed_subscription(
            &app,
            Seeded {
                canceling,
                product: Some(product),
                created: before_new_year(created),
                ..Seeded::new(id, "cus_stranger", status)
            },
        )
        .await;
    }
    let first = subscription_list(&app, &[]).await.ok();
    assert_eq!(first.items.len(), 25);
    let next = first.next.expect("a second page");
    let second = subscription_list(&app, &[("after", next.as_str())])
        .await
        .ok();
    assert_eq!(
        second
            .items
            .iter()
            .map(|r| r.id.as_str())
            .collect::<Vec<_>>(),
        [
            "sub_active21",
            "sub_active22",
            "sub_active23",
            "sub_active24"
        ]
    );
    assert_eq!(second.next, None);

    let listed = |page: Page<SubscriptionRow>| -> Vec<String> {
        assert_eq!(page.next, None);
        page.items.into_iter().map(|r| r.id).collect()
    };
    assert_eq!(
        listed(
            subscription_list(&app, &[("status", "past_due")])
                .await
                .ok()
        ),
        ["sub_late"]
    );
    assert_eq!(
        listed(
            subscription_list(&app, &[("status", "canceling")])
                .await
                .ok()
        ),
        ["sub_leaving"]
    );
    assert_eq!(
        listed(
            subscription_list(&app, &[("status", "canceled")])
                .await
                .ok()
        ),
        ["sub_gone"]
    );
    let team_id = team.to_string();
    assert_eq!(
        listed(
            subscription_list(&app, &[("plan", team_id.as_str())])
                .await
                .ok()
        ),
        ["sub_trial", "sub_late", "sub_leaving"]
    );
    let trial = subscription_list(&app, &[("status", "trialing")])
        .await
        .ok()
        .items;
    assert_eq!(trial.len(), 1);
    assert_eq!(trial[0].mrr, None, "a trial brings in nothing yet");
    assert_eq!(trial[0].member_email, None, "a customer without a member");
    let gone = subscription_list(&app, &[("status", "canceled")])
        .await
        .ok()
        .items;
    assert_eq!(gone[0].mrr, None);
    assert!(gone[0].ended_at.is_some());

    for (filter, value) in [("status", "everything"), ("plan", "nope"), ("after", "x")] {
        let answer = subscription_list(&app, &[(filter, value)]).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{filter}={value}");
    }
    let (member, _) = sign_up_member(&app, "nosy@example.com").await;
    assert_eq!(
        subscription_list(&member, &[]).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_dunning_list_shows_each_unpaid_invoice_with_its_attempts_and_what_is_at_risk() {
    let (app, _emulator) = spawn_app_with_stripe().await;
    let pro = seed_product(&app, "Pro").await;
    let late = seed_member(&app, "late@example.com", "Late", before_new_year(0)).await;
    seed_customer(&app, Some(late), "cus_late", None).await;
    seed_customer(&app, None, "cus_other", None).await;
    let soon = Utc::now() + Duration::days(3);
    let soon = DateTime::from_timestamp(soon.timestamp(), 0).unwrap();
    for (sub, customer, status, invoice, created) in [
        ("sub_late", "cus_late", "past_due", "in_late", 1),
        ("sub_partly", "cus_other", "past_due", "in_partly", 2),
        ("sub_given_up", "cus_other", "unpaid", "in_given_up", 3),
        ("sub_fine", "cus_other", "active", "in_fine", 4),
    ] {
        seed_subscription(
            &app,
            Seeded {
                product: Some(pro),
                created: before_new_year(created),
                latest_invoice: Some(invoice),
                currency: if status == "unpaid" { "usd" } else { "eur" },
                ..Seeded::new(sub, customer, status)
            },
        )
        .await;
    }
    seed_unpaid_invoice(
        &app,
        Unpaid {
            id: "in_late",
            customer: "cus_late",
            subscription: "sub_late",
            currency: "eur",
            amount_due: 1_900,
            amount_paid: 0,
            attempt_count: 2,
            next_payment_attempt: Some(soon),
            failed_payment: Some(("pi_late", "Your card was declined.")),
        },
    )
    .await;
    seed_unpaid_invoice(
        &app,
        Unpaid {
            id: "in_partly",
            customer: "cus_other",
            subscription: "sub_partly",
            currency: "eur",
            amount_due: 19_000,
            amount_paid: 5_000,
            attempt_count: 4,
            next_payment_attempt: Some(soon),
            failed_payment: Some(("pi_partly", "Your card has insufficient funds.")),
        },
    )
    .await;
    seed_unpaid_invoice(
        &app,
        Unpaid {
            id: "in_given_up",
            customer: "cus_other",
            subscription: "sub_given_up",
            currency: "usd",
            amount_due: 4_900,
            amount_paid: 0,
            attempt_count: 4,
            next_payment_attempt: None,
            failed_payment: Some(("pi_given_up", "Your card was declined.")),
        },
    )
    .await;
    // An active subscription's open invoice is not in dunning.
    seed_unpaid_invoice(
        &app,
        Unpaid {
            id: "in_fine",
            customer: "cus_other",
            subscription: "sub_fine",
            currency: "eur",
            amount_due: 999,
            amount_paid: 0,
            attempt_count: 1,
            next_payment_attempt: Some(soon),
            failed_payment: Some(("pi_fine", "Your card was declined.")),
        },
    )
    .await;

    let page = past_due_page(&app, None).await.ok();
    assert_eq!(page.count, 3);
    assert_eq!(page.next, None);
    assert_eq!(
        page.rows
            .iter()
            .map(|r| r.subscription_id.as_str())
            .collect::<Vec<_>>(),
        ["sub_late", "sub_partly", "sub_given_up"]
    );
    let late = &page.rows[0];
    assert_eq!(late.member_email.as_deref(), Some("late@example.com"));
    assert_eq!(late.plan.as_deref(), Some("Pro"));
    assert_eq!(late.invoice_id.as_deref(), Some("in_late"));
    assert_eq!(late.at_risk, Some(money(1_900, "eur")));
    assert_eq!((late.attempts, late.retries_left), (2, 2));
    assert_eq!(late.next_attempt, Some(soon));
    assert!(late.failed_at.is_some());
    assert_eq!(
        late.failure_message.as_deref(),
        Some("Your card was declined.")
    );
    let partly = &page.rows[1];
    assert_eq!(partly.at_risk, Some(money(14_000, "eur")));
    assert_eq!(partly.member_email, None);
    assert_eq!(
        (partly.attempts, partly.retries_left),
        (4, 1),
        "a scheduled retry is one left"
    );
    let given_up = &page.rows[2];
    assert_eq!(given_up.status, "unpaid");
    assert_eq!(given_up.at_risk, Some(money(4_900, "usd")));
    assert_eq!((given_up.retries_left, given_up.next_attempt), (0, None));

    // 25 in dunning fill a page; a 26th starts a second.
    for n in 0..22 {
        seed_in_dunning(&app, n, "cus_other").await;
    }
    let first = past_due_page(&app, None).await.ok();
    assert_eq!((first.rows.len(), first.next.is_some()), (25, false));
    assert_eq!(first.count, 25);
    seed_in_dunning(&app, 900, "cus_other").await;
    let first = past_due_page(&app, None).await.ok();
    assert_eq!(first.rows.len(), 25);
    let second = past_due_page(&app, first.next.as_deref()).await.ok();
    assert_eq!(
        second
            .rows
            .iter()
            .map(|r| r.subscription_id.as_str())
            .collect::<Vec<_>>(),
        ["sub_dunning900"]
    );
    assert_eq!(second.next, None);
    assert_eq!(second.count, 26);
    assert_eq!(
        past_due_page(&app, Some("x")).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn a_past_due_subscription_whose_failed_payment_paydesk_has_not_heard_of_is_still_listed() {
    let (app, _emulator) = spawn_app_with_stripe().await;
    seed_customer(&app, None, "cus_quick", None).await;
    seed_subscription(
        &app,
        Seeded {
            latest_invoice: Some("in_quick"),
            ..Seeded::new("sub_quick", "cus_quick", "past_due")
        },
    )
    .await;
    // The invoice's event came in; its payment intent's has not (events arrive in any order).
    seed_unpaid_invoice(
        &app,
        Unpaid {
            id: "in_quick",
            customer: "cus_quick",
            subscription: "sub_quick",
            currency: "eur",
            amount_due: 1_900,
            amount_paid: 0,
            attempt_count: 1,
            next_payment_attempt: None,
            failed_payment: None,
        },
    )
    .await;
    let page = past_due_page(&app, None).await.ok();
    assert_eq!(page.rows.len(), 1);
    assert_eq!(page.rows[0].at_risk, Some(money(1_900, "eur")));
    assert_eq!(
        (page.rows[0].failed_at, page.rows[0].failure_message.clone()),
        (None, None)
    );
}

// ---------------------------------------------------------------------------------------------
// One member in full.
// ---------------------------------------------------------------------------------------------

async fn member_detail(app: &TestApp, id: &str) -> crate::helpers::Answer<MemberDetail> {
    app.call("admin/member", &[("id", id)]).await
}

#[tokio::test]
async fn a_members_page_shows_their_profile_customer_and_subscription_history() {
    let shop = shop().await;
    let mia = subscribe_in_paydesk(&shop, "mia@example.com").await;
    let detail = member_detail(&shop.app, &mia.user_id).await.ok();
    assert_eq!(detail.user_id.to_string(), mia.user_id);
    assert_eq!(detail.email, "mia@example.com");
    assert_eq!(detail.name, "Mia Member");
    assert_eq!(detail.role, "member");
    assert_eq!(detail.mode, "test");
    assert_eq!(detail.access.status, AccessStatus::Active);
    let customer = detail.customer.expect("a customer");
    assert_eq!(customer.id, mia.customer);
    assert!(
        customer.dashboard_url.contains("/test/customers/cus_"),
        "{}",
        customer.dashboard_url
    );
    assert!(!customer.tax_unrecognized());
    assert_eq!(detail.subscriptions.len(), 1);
    let sub = &detail.subscriptions[0];
    assert_eq!(sub.row.id, mia.subscription);
    assert_eq!(sub.row.status, "active");
    assert_eq!(sub.row.plan.as_deref(), Some("Pro"));
    assert_eq!(sub.row.mrr, Some(money(1_900, "eur")));
    assert!(sub.dashboard_url.contains("/test/subscriptions/sub_"));
    assert!(sub.is_live());
    // Events of the same second may come in either order (see the report), so only that it
    // is there and the history runs oldest first.
    assert!(
        sub.history.iter().any(|h| h.what == "Subscription created"),
        "{:?}",
        sub.history
    );
    assert!(sub.history.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(detail.cards.iter().any(|c| c.last4 == "4242"));

    // A member whose address Stripe Tax does not place, with a Tax ID.
    let (_, lost) = sign_up_member(&shop.app, "lost@example.com").await;
    let lost_id: Uuid = lost.parse().unwrap();
    seed_customer(
        &shop.app,
        Some(lost_id),
        "cus_lost",
        Some("unrecognized_location"),
    )
    .await;
    sqlx::query(
        r#"UPDATE customers SET address = '{"line1": "1 Nowhere Road", "city": "Atlantis", "country": "ZZ"}',
               tax_ids = '[{"type": "eu_vat", "value": "DE123456789"}]'
           WHERE id = 'cus_lost'"#,
    )
    .execute(&shop.app.pool)
    .await
    .unwrap();
    let detail = member_detail(&shop.app, &lost).await.ok();
    let customer = detail.customer.expect("a customer");
    assert!(customer.tax_unrecognized());
    assert_eq!(
        customer.address.as_deref(),
        Some("1 Nowhere Road, Atlantis, ZZ")
    );
    assert_eq!(customer.tax_ids, vec!["DE123456789".to_owned()]);
    assert!(detail.subscriptions.is_empty());
    assert_eq!(detail.access.status, AccessStatus::None);

    let unknown = member_detail(&shop.app, &Uuid::from_u128(rand::random()).to_string()).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        member_detail(&mia.member, &lost).await.status,
        StatusCode::FORBIDDEN
    );
}

// ---------------------------------------------------------------------------------------------
// What an admin does to a member, each step audited.
// ---------------------------------------------------------------------------------------------

async fn audit_entries(app: &TestApp, action: &str) -> Vec<AuditEntry> {
    let page: Page<AuditEntry> = app
        .call(
            "admin/audit",
            &[
                ("query[action]", action),
                ("query[actor]", ""),
                ("query[target]", ""),
            ],
        )
        .await
        .ok();
    page.items
        .into_iter()
        .filter(|e| e.action == action)
        .collect()
}

async fn admin_cancel(app: &TestApp, id: &str, when: &str) -> crate::helpers::Answer<String> {
    app.call("admin/subscriptions/cancel", &[("id", id), ("when", when)])
        .await
}

async fn admin_resume(app: &TestApp, id: &str) -> crate::helpers::Answer<String> {
    app.call("admin/subscriptions/resume", &[("id", id)]).await
}

#[tokio::test]
async fn an_admin_cancels_at_period_end_resumes_and_cancels_now_and_each_step_is_audited_once() {
    let shop = shop().await;
    let mia = subscribe_in_paydesk(&shop, "kept@example.com").await;
    let sub = mia.subscription.clone();
    let in_stripe = |sub: String| {
        let emulator = &shop.emulator;
        async move { stripe_get(emulator, &format!("/v1/subscriptions/{sub}")).await }
    };

    // A member cannot use the console's actions, not even on their own subscription.
    for when in ["PeriodEnd", "Now"] {
        assert_eq!(
            admin_cancel(&mia.member, &sub, when).await.status,
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!(in_stripe(sub.clone()).await["cancel_at_period_end"], false);

    let said = admin_cancel(&shop.app, &sub, "PeriodEnd").await.ok();
    assert!(said.starts_with("Subscription set to end"), "{said}");
    assert_eq!(in_stripe(sub.clone()).await["cancel_at_period_end"], true);
    let scheduled = audit_entries(&shop.app, "subscription.cancel_scheduled").await;
    assert_eq!(scheduled.len(), 1);
    assert_eq!(scheduled[0].target, sub);
    assert_eq!(scheduled[0].actor_email, ADMIN_EMAIL);
    assert!(
        scheduled[0].details.contains("kept@example.com"),
        "{}",
        scheduled[0].details
    );
    stored_as(&shop.app, &sub, "active", true).await;
    let again = admin_cancel(&shop.app, &sub, "PeriodEnd").await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(
        audit_entries(&shop.app, "subscription.cancel_scheduled")
            .await
            .len(),
        1
    );

    assert_eq!(
        admin_resume(&mia.member, &sub).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(in_stripe(sub.clone()).await["cancel_at_period_end"], true);
    admin_resume(&shop.app, &sub).await.ok();
    assert_eq!(in_stripe(sub.clone()).await["cancel_at_period_end"], false);
    let resumed = audit_entries(&shop.app, "subscription.resumed").await;
    assert_eq!(resumed.len(), 1);
    assert_eq!(resumed[0].target, sub);
    stored_as(&shop.app, &sub, "active", false).await;
    assert_eq!(
        admin_resume(&shop.app, &sub).await.status,
        StatusCode::CONFLICT,
        "nothing to resume"
    );

    admin_cancel(&shop.app, &sub, "Now").await.ok();
    assert_eq!(in_stripe(sub.clone()).await["status"], "canceled");
    let canceled = audit_entries(&shop.app, "subscription.canceled").await;
    assert_eq!(canceled.len(), 1);
    assert_eq!(canceled[0].target, sub);
    assert!(canceled[0].details.contains("kept@example.com"));
    stored_as(&shop.app, &sub, "canceled", false).await;
    eventually("access to end", || async {
        !member_access(&mia.member).await.has_access()
    })
    .await;
    assert_eq!(
        admin_cancel(&shop.app, &sub, "Now").await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        admin_cancel(&shop.app, "sub_unknown", "Now").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        audit_entries(&shop.app, "subscription.canceled")
            .await
            .len(),
        1
    );
}

async fn grant(
    app: &TestApp,
    user_id: &str,
    until: &str,
    reason: &str,
) -> crate::helpers::Answer<String> {
    app.call(
        "admin/members/grant",
        &[
            ("form[user_id]", user_id),
            ("form[until]", until),
            ("form[reason]", reason),
        ],
    )
    .await
}

async fn grants_of(app: &TestApp, user_id: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM access_grants WHERE user_id = $1::uuid")
        .bind(user_id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_admin_grants_a_member_time_with_a_reason_and_bad_grants_change_nothing() {
    let (app, _emulator) = spawn_app_with_stripe().await;
    let (member, user_id) = sign_up_member(&app, "friend@example.com").await;
    let today = Utc::now().date_naive();
    let until = today + Duration::days(30);
    let until_text = until.format("%Y-%m-%d").to_string();

    for (until, reason, field) in [
        (today.format("%Y-%m-%d").to_string(), "Goodwill", "until"),
        (
            (today - Duration::days(3)).format("%Y-%m-%d").to_string(),
            "Goodwill",
            "until",
        ),
        ("garbage".to_owned(), "Goodwill", "until"),
        (until_text.clone(), "   ", "reason"),
    ] {
        let answer = grant(&app, &user_id, &until, reason).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{until} {reason:?}");
        assert!(answer.err().field_message(field).is_some(), "{until}");
    }
    let refused = grant(&member, &user_id, &until_text, "Myself").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let admin_id: String = sqlx::query_scalar("SELECT id::text FROM users WHERE email = $1")
        .bind(ADMIN_EMAIL)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    for someone_else in [Uuid::from_u128(rand::random()).to_string(), admin_id] {
        let answer = grant(&app, &someone_else, &until_text, "Goodwill").await;
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "only members get time"
        );
    }
    assert_eq!(grants_of(&app, &user_id).await, 0);
    assert!(audit_entries(&app, "member.access_granted")
        .await
        .is_empty());
    assert_eq!(member_access(&member).await.status, AccessStatus::None);

    let said = grant(&app, &user_id, &until_text, "Goodwill after the outage")
        .await
        .ok();
    assert!(said.starts_with("Access granted until"), "{said}");
    assert_eq!(grants_of(&app, &user_id).await, 1);
    let granted = audit_entries(&app, "member.access_granted").await;
    assert_eq!(granted.len(), 1);
    assert_eq!(granted[0].target, user_id);
    assert!(
        granted[0].details.contains("friend@example.com")
            && granted[0].details.contains("Goodwill after the outage"),
        "{}",
        granted[0].details
    );
    let access = member_access(&member).await;
    assert_eq!(access.status, AccessStatus::Granted);
    let end_of_day = (until + Duration::days(1))
        .and_time(NaiveTime::MIN)
        .and_utc();
    assert_eq!(access.until, Some(end_of_day), "through the whole last day");
    let detail = member_detail(&app, &user_id).await.ok();
    assert_eq!(detail.grants.len(), 1);
    assert_eq!(detail.grants[0].reason, "Goodwill after the outage");
    assert_eq!(detail.grants[0].granted_by.as_deref(), Some(ADMIN_EMAIL));
    assert_eq!(detail.access.status, AccessStatus::Granted);
}

// ---------------------------------------------------------------------------------------------
// Admins invite admins.
// ---------------------------------------------------------------------------------------------

async fn invite(app: &TestApp, email: &str) -> crate::helpers::Answer<CreatedInvite> {
    app.call("admin/admins/invite", &[("form[email]", email)])
        .await
}

fn secret_of(invite: &CreatedInvite) -> String {
    let prefix = "https://billing.example.com/invite/";
    assert!(invite.link.starts_with(prefix), "{}", invite.link);
    invite.link[prefix.len()..].to_owned()
}

async fn show(visitor: &TestApp, token: &str) -> crate::helpers::Answer<Invitation> {
    visitor.call("invite/show", &[("token", token)]).await
}

async fn accept(
    visitor: &TestApp,
    token: &str,
    name: &str,
    password: &str,
) -> crate::helpers::Answer<()> {
    visitor
        .call(
            "invite/accept",
            &[("token", token), ("name", name), ("password", password)],
        )
        .await
}

async fn role_of(app: &TestApp, email: &str) -> Option<String> {
    sqlx::query_scalar("SELECT role FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_invitation_makes_a_new_admin_once() {
    let (app, _emulator) = spawn_app_with_stripe().await;
    let created = invite(&app, "New.Admin@Example.com").await.ok();
    assert_eq!(created.email, "new.admin@example.com");
    assert!(created.expires_at > Utc::now() + Duration::days(6));
    let token = secret_of(&created);
    let invited = audit_entries(&app, "admin.invited").await;
    assert_eq!(invited.len(), 1);
    assert_eq!(invited[0].target, "new.admin@example.com");

    let newcomer = app.another_visitor();
    assert_eq!(
        show(&newcomer, &token).await.ok(),
        Invitation {
            email: "new.admin@example.com".into(),
            has_account: false,
        }
    );
    assert_eq!(
        newcomer
            .call::<Dashboard>("admin/dashboard", &[])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let weak = accept(&newcomer, &token, "Nora Admin", "short").await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST);
    assert_eq!(role_of(&app, "new.admin@example.com").await, None);

    accept(&newcomer, &token, "Nora Admin", PASSWORD).await.ok();
    assert_eq!(
        role_of(&app, "new.admin@example.com").await.as_deref(),
        Some("admin")
    );
    newcomer
        .call::<Dashboard>("admin/dashboard", &[])
        .await
        .ok();
    let joined = audit_entries(&app, "admin.joined").await;
    assert_eq!(joined.len(), 1);
    assert_eq!(joined[0].actor_email, "new.admin@example.com");

    // Used up.
    let stranger = app.another_visitor();
    assert_eq!(show(&stranger, &token).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        accept(&stranger, &token, "Eve", PASSWORD).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        show(&stranger, "not-a-secret").await.status,
        StatusCode::NOT_FOUND
    );
    let admins: AdminsPage = app.call("admin/admins", &[]).await.ok();
    assert!(admins
        .admins
        .iter()
        .any(|a| a.email == "new.admin@example.com"));
    assert_eq!(admins.invites.len(), 1);
    assert_eq!(admins.invites[0].state, "accepted");
    assert_eq!(admins.invites[0].invited_by.as_deref(), Some(ADMIN_EMAIL));

    // Someone who is already an admin is not invited again.
    let twice = invite(&app, "new.admin@example.com").await;
    assert_eq!(twice.status, StatusCode::BAD_REQUEST);
    assert!(twice.err().field_message("email").is_some());
    assert_eq!(
        invite(&app, ADMIN_EMAIL).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        invite(&app, "not an email").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(audit_entries(&app, "admin.invited").await.len(), 1);
}

#[tokio::test]
async fn a_revoked_invitation_cannot_be_used() {
    let (app, _emulator) = spawn_app_with_stripe().await;
    let created = invite(&app, "maybe@example.com").await.ok();
    let token = secret_of(&created);
    let admins: AdminsPage = app.call("admin/admins", &[]).await.ok();
    let pending = &admins.invites[0];
    assert_eq!(
        (pending.email.as_str(), pending.state.as_str()),
        ("maybe@example.com", "pending")
    );
    let id = pending.id.to_string();

    app.call::<()>("admin/admins/revoke", &[("id", &id)])
        .await
        .ok();
    let visitor = app.another_visitor();
    assert_eq!(show(&visitor, &token).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        accept(&visitor, &token, "Maybe", PASSWORD).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(role_of(&app, "maybe@example.com").await, None);
    let revoked = audit_entries(&app, "admin.invite_revoked").await;
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0].target, "maybe@example.com");
    let admins: AdminsPage = app.call("admin/admins", &[]).await.ok();
    assert_eq!(admins.invites[0].state, "revoked");
    assert_eq!(
        app.call::<()>("admin/admins/revoke", &[("id", &id)])
            .await
            .status,
        StatusCode::NOT_FOUND,
        "nothing left to revoke"
    );
    assert_eq!(audit_entries(&app, "admin.invite_revoked").await.len(), 1);
}

#[tokio::test]
async fn a_member_invited_becomes_admin_only_with_their_own_password() {
    let (app, _emulator) = spawn_app_with_stripe().await;
    let (member, _) = sign_up_member(&app, "mia@example.com").await;

    // A member cannot invite, nor revoke.
    let refused = invite(&member, "friend@example.com").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let invites: i64 = sqlx::query_scalar("SELECT count(*) FROM admin_invites")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(invites, 0);

    let created = invite(&app, "mia@example.com").await.ok();
    let token = secret_of(&created);
    let admins: AdminsPage = app.call("admin/admins", &[]).await.ok();
    let id = admins.invites[0].id.to_string();
    assert_eq!(
        member
            .call::<()>("admin/admins/revoke", &[("id", &id)])
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    let visitor = app.another_visitor();
    assert_eq!(
        show(&visitor, &token).await.ok(),
        Invitation {
            email: "mia@example.com".into(),
            has_account: true,
        }
    );
    let wrong = accept(&visitor, &token, "", "not-mias-password").await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(wrong.err().field_message("password").is_some());
    assert_eq!(
        role_of(&app, "mia@example.com").await.as_deref(),
        Some("member")
    );
    assert!(audit_entries(&app, "admin.joined").await.is_empty());

    // The link survives a wrong password.
    accept(&visitor, &token, "", PASSWORD).await.ok();
    assert_eq!(
        role_of(&app, "mia@example.com").await.as_deref(),
        Some("admin")
    );
    visitor.call::<Dashboard>("admin/dashboard", &[]).await.ok();
    // The role is read on every request: Mia's own session is an admin's now too.
    member.call::<Dashboard>("admin/dashboard", &[]).await.ok();
    let users: i64 =
        sqlx::query_scalar("SELECT count(*) FROM users WHERE email = 'mia@example.com'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(users, 1, "the same account, promoted");
    let joined = audit_entries(&app, "admin.joined").await;
    assert_eq!(joined.len(), 1);
    assert_eq!(joined[0].target, "mia@example.com");
}
