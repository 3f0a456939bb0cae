//! The event worker: Stripe's events applied once, in any order, to the state access is
//! derived from. Histories come from the emulator; Postgres is real.

use crate::helpers::{
    deliver_concurrently, eventually, give_default_card, make_card_fail, member_access,
    pay_checkout, plan_in_catalog, register_webhook, sign_up_member, spawn_app_with_stripe,
    spawn_app_with_stripe_and_env, stripe_get, stripe_post, TestApp,
};
use app::model::{AccessStatus, EventSummary, ObjectComparison};
use app::server::billing::events::apply::apply_event;
use app::server::billing::events::reconcile::reconcile;
use app::server::billing::events::{drain, process_due, Applier, InboxEvent, MAX_ATTEMPTS};
use app::server::billing::settings::{SettingsContext, StripeEnv};
use app::server::crypto::SecretCipher;
use app::server::webhooks::signature::sign;
use base64::Engine;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The settings the app's own requests use, for calling the worker directly.
struct Rules {
    cipher: SecretCipher,
    env: StripeEnv,
}

impl Rules {
    fn new() -> Self {
        let key = base64::engine::general_purpose::STANDARD
            .decode(crate::helpers::TEST_MASTER_KEY)
            .expect("test key");
        let key: [u8; 32] = key.try_into().expect("32 bytes");
        Self {
            cipher: SecretCipher::new(&key),
            env: StripeEnv::default(),
        }
    }

    fn settings<'a>(&'a self, app: &'a TestApp) -> SettingsContext<'a> {
        SettingsContext {
            pool: &app.pool,
            cipher: &self.cipher,
            env: &self.env,
            public_url: "https://billing.example.com",
        }
    }
}

/// An app whose own worker is off, so the test alone decides when events are applied.
async fn without_worker() -> (TestApp, stripe_emulator::Running) {
    spawn_app_with_stripe_and_env(&[("PAYDESK_EVENT_WORKER", "off")]).await
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.pool)
        .await
        .expect("count")
}

async fn advance_clock(emulator: &stripe_emulator::Running, clock: &str, seconds: i64) {
    let now = stripe_get(emulator, &format!("/v1/test_helpers/test_clocks/{clock}")).await
        ["frozen_time"]
        .as_i64()
        .expect("frozen time");
    stripe_post(
        emulator,
        &format!("/v1/test_helpers/test_clocks/{clock}/advance"),
        &[("frozen_time", &(now + seconds).to_string())],
    )
    .await;
}

#[tokio::test]
async fn checkout_renewal_and_a_failing_card_move_a_members_access() {
    let (app, emulator) = spawn_app_with_stripe().await;
    register_webhook(&app, &emulator).await;
    let price = plan_in_catalog(&app, &emulator, &[]).await;
    let (member, member_id) = sign_up_member(&app, "mia@example.com").await;
    assert_eq!(member_access(&member).await.status, AccessStatus::None);

    let now = chrono::Utc::now().timestamp().to_string();
    let clock = stripe_post(
        &emulator,
        "/v1/test_helpers/test_clocks",
        &[("frozen_time", &now)],
    )
    .await;
    let clock = clock["id"].as_str().expect("clock").to_owned();
    let customer = stripe_post(
        &emulator,
        "/v1/customers",
        &[("email", "mia@example.com"), ("test_clock", &clock)],
    )
    .await;
    let customer = customer["id"].as_str().expect("customer").to_owned();
    let session = stripe_post(
        &emulator,
        "/v1/checkout/sessions",
        &[
            ("mode", "subscription"),
            ("customer", &customer),
            ("client_reference_id", &member_id),
            ("line_items[0][price]", &price),
            ("line_items[0][quantity]", "1"),
            ("success_url", "https://billing.example.com/billing"),
        ],
    )
    .await;
    pay_checkout(&session, "4242424242424242").await;

    eventually("access after checkout", || async {
        member_access(&member).await.status == AccessStatus::Active
    })
    .await;
    let first = member_access(&member).await;
    assert_eq!(first.plan.as_deref(), Some("Pro"));
    assert_eq!(
        count(&app, "SELECT count(*) FROM purchases WHERE kind = 'plan'").await,
        1
    );

    // A month on, the renewal is paid and access runs a month further.
    advance_clock(&emulator, &clock, 32 * 86_400).await;
    eventually("renewal", || async {
        member_access(&member).await.until > first.until
    })
    .await;

    // The card starts failing: the next renewal leaves the subscription past due, with access
    // during the grace period and a "fix payment" link.
    let sub = stripe_get(&emulator, &format!("/v1/subscriptions?customer={customer}")).await;
    let sub_id = sub["data"][0]["id"].as_str().expect("sub").to_owned();
    make_card_fail(&emulator, &customer, &sub_id).await;
    advance_clock(&emulator, &clock, 31 * 86_400).await;
    eventually("past due", || async {
        member_access(&member).await.status == AccessStatus::PastDue
    })
    .await;
    let past_due = member_access(&member).await;
    assert_eq!(
        past_due.action.map(|a| a.kind).as_deref(),
        Some("fix_payment")
    );

    // Every retry fails; Stripe cancels and access ends.
    advance_clock(&emulator, &clock, 30 * 86_400).await;
    eventually("canceled", || async {
        !member_access(&member).await.has_access()
    })
    .await;
    let failed = count(
        &app,
        "SELECT count(*) FROM stripe_events WHERE status = 'failed'",
    )
    .await;
    assert_eq!(failed, 0);
}

/// A `checkout.session.completed` for a one-off top-up, signed as Stripe would.
fn top_up_event(n: usize, customer: &str, price: &str, created: i64) -> String {
    json!({
        "id": format!("evt_topup{n:04}"),
        "object": "event",
        "type": "checkout.session.completed",
        "livemode": false,
        "created": created,
        "api_version": "2026-09-30.endive",
        "data": {"object": {
            "id": format!("cs_test_topup{n:04}"),
            "object": "checkout.session",
            "mode": "payment",
            "payment_status": "paid",
            "customer": customer,
            "currency": "eur",
            "amount_total": 900,
            "created": created,
            "metadata": {"paydesk_price": price}
        }}
    })
    .to_string()
}

#[tokio::test]
async fn twenty_events_each_delivered_fifty_times_at_once_apply_once() {
    let (app, emulator) = spawn_app_with_stripe().await;
    let secret = "whsec_concurrency0001";
    let mut form = crate::helpers::settings_form(&emulator.base_url, "");
    form.push(("form[test_webhook_secret]", secret));
    app.call::<Value>("settings/stripe/save", &form).await.ok();
    let price = one_off_top_up(&app, &emulator).await;
    let now = chrono::Utc::now().timestamp();
    let mut deliveries = Vec::new();
    for n in 0..20 {
        let body = top_up_event(n, "cus_concurrent", &price, now);
        let signature = format!("t={now},v1={}", sign(secret, now, body.as_bytes()));
        for _ in 0..50 {
            deliveries.push((body.clone(), signature.clone()));
        }
    }
    deliveries.shuffle(&mut rand::thread_rng());
    let statuses = deliver_concurrently(&app, deliveries).await;
    assert!(statuses.iter().all(|s| *s == StatusCode::OK));
    eventually("all applied", || async {
        count(
            &app,
            "SELECT count(*) FROM stripe_events WHERE status = 'processed'",
        )
        .await
            == 20
    })
    .await;
    assert_eq!(count(&app, "SELECT count(*) FROM stripe_events").await, 20);
    assert_eq!(count(&app, "SELECT count(*) FROM purchases").await, 20);
    assert_eq!(count(&app, "SELECT count(*) FROM top_up_credits").await, 20);
    assert_eq!(
        count(&app, "SELECT max(attempts)::bigint FROM stripe_events").await,
        1
    );
}

/// A top-up product (seed 002's metadata) with a one-time price, imported; returns the price.
async fn one_off_top_up(app: &TestApp, emulator: &stripe_emulator::Running) -> String {
    let product = stripe_post(
        emulator,
        "/v1/products",
        &[
            ("name", "1-month Professional"),
            ("metadata[accountType]", "professional"),
            ("metadata[interval]", "1"),
        ],
    )
    .await;
    let price = stripe_post(
        emulator,
        "/v1/prices",
        &[
            ("product", product["id"].as_str().expect("product")),
            ("currency", "eur"),
            ("unit_amount", "900"),
        ],
    )
    .await;
    app.call::<Value>("catalog/import", &[]).await.ok();
    let kind: String = sqlx::query_scalar(
        "SELECT p.kind FROM products p JOIN prices pr ON pr.product_id = p.id
         WHERE pr.stripe_price_id = $1",
    )
    .bind(price["id"].as_str())
    .fetch_one(&app.pool)
    .await
    .expect("imported");
    assert_eq!(kind, "top_up");
    price["id"].as_str().expect("price").to_owned()
}

fn subscription(id: &str, status: &str, created: i64) -> Value {
    json!({
        "id": id, "object": "subscription", "customer": "cus_race", "status": status,
        "cancel_at_period_end": false, "created": created, "latest_invoice": null,
        "items": {"data": [{"price": {"id": "price_race"}, "quantity": 1,
                            "current_period_start": created,
                            "current_period_end": created + 30 * 86_400}]}
    })
}

fn inbox_event(
    id: String,
    type_: &str,
    created: i64,
    object: Value,
    previous: Option<Value>,
) -> InboxEvent {
    let mut data = json!({ "object": object });
    if let Some(previous) = previous {
        data["previous_attributes"] = previous;
    }
    InboxEvent {
        id,
        mode: "test".into(),
        type_: type_.into(),
        created,
        payload: json!({ "data": data }),
        attempts: 0,
    }
}

async fn store_in_inbox(app: &TestApp, event: &InboxEvent) {
    let row = app::server::webhooks::inbox::InboxRow {
        id: event.id.clone(),
        mode: event.mode.clone(),
        type_: event.type_.clone(),
        object_id: event.payload["data"]["object"]["id"]
            .as_str()
            .map(str::to_owned),
        api_version: None,
        created: event.created,
        payload: event.payload.to_string(),
    };
    app::server::db::events::insert_many(&app.pool, &[&row])
        .await
        .expect("insert");
}

#[tokio::test]
async fn the_created_updated_race_never_moves_a_subscription_backwards() {
    let (app, _emulator) = spawn_app_with_stripe().await;
    let rules = Rules::new();
    let created = chrono::Utc::now().timestamp();
    let mut events = Vec::new();
    for n in 0..1000 {
        let id = format!("sub_race{n:04}");
        events.push(inbox_event(
            format!("evt_c{n:04}"),
            "customer.subscription.created",
            created,
            subscription(&id, "incomplete", created),
            None,
        ));
        events.push(inbox_event(
            format!("evt_u{n:04}"),
            "customer.subscription.updated",
            created,
            subscription(&id, "active", created),
            Some(json!({"status": "incomplete"})),
        ));
    }
    events.shuffle(&mut rand::thread_rng());
    for event in &events {
        store_in_inbox(&app, event).await;
    }
    // Four workers at once, each taking small batches, as several processes would.
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let (pool, cipher) = (app.pool.clone(), rules.cipher.clone());
        workers.spawn(async move {
            let env = StripeEnv::default();
            let settings = SettingsContext {
                pool: &pool,
                cipher: &cipher,
                env: &env,
                public_url: "https://billing.example.com",
            };
            while process_due(&settings, 25).await.expect("batch").total() > 0 {}
        });
    }
    workers.join_all().await;
    // A worker stops when every due event is locked by another; the others finish them.
    eventually("every event applied", || async {
        count(
            &app,
            "SELECT count(*) FROM stripe_events WHERE status = 'pending'",
        )
        .await
            == 0
    })
    .await;
    let unprocessed: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT id, status, last_error FROM stripe_events WHERE status <> 'processed' LIMIT 5",
    )
    .fetch_all(&app.pool)
    .await
    .expect("unprocessed");
    assert!(unprocessed.is_empty(), "{unprocessed:?}");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM subscriptions WHERE status = 'active'"
        )
        .await,
        1000
    );
}

/// One customer's life in the emulator: every event about it or its objects, in order.
struct History {
    customer: String,
    events: Vec<InboxEvent>,
}

async fn all_emulator_events(emulator: &stripe_emulator::Running) -> Vec<Value> {
    let mut events = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut path = "/v1/events?limit=100".to_owned();
        if let Some(last) = &after {
            path.push_str(&format!("&starting_after={last}"));
        }
        let page = stripe_get(emulator, &path).await;
        let data = page["data"].as_array().cloned().unwrap_or_default();
        after = data
            .last()
            .and_then(|e| e["id"].as_str())
            .map(str::to_owned);
        events.extend(data);
        if page["has_more"] != json!(true) {
            break;
        }
    }
    events.reverse(); // oldest first
    events
}

/// Lives of `n` customers: subscribed, switched on and off cancel-at-period-end, canceled,
/// renewed on a test clock, or left past due by a failing card.
async fn histories(emulator: &stripe_emulator::Running, price: &str, n: usize) -> Vec<History> {
    let mut customers = Vec::new();
    for i in 0..n {
        let now = chrono::Utc::now().timestamp().to_string();
        let clock = stripe_post(
            emulator,
            "/v1/test_helpers/test_clocks",
            &[("frozen_time", &now)],
        )
        .await;
        let clock = clock["id"].as_str().expect("clock").to_owned();
        let customer = stripe_post(
            emulator,
            "/v1/customers",
            &[("email", "h@example.com"), ("test_clock", &clock)],
        )
        .await;
        let cid = customer["id"].as_str().expect("customer").to_owned();
        give_default_card(emulator, &cid).await;
        let sub = stripe_post(
            emulator,
            "/v1/subscriptions",
            &[("customer", &cid), ("items[0][price]", price)],
        )
        .await;
        let sub_id = sub["id"].as_str().expect("subscription").to_owned();
        let sub_path = format!("/v1/subscriptions/{sub_id}");
        match i % 5 {
            0 => {}
            1 => {
                stripe_post(emulator, &sub_path, &[("cancel_at_period_end", "true")]).await;
                stripe_post(emulator, &sub_path, &[("cancel_at_period_end", "false")]).await;
                stripe_post(emulator, &sub_path, &[("metadata[note]", "kept")]).await;
            }
            2 => {
                reqwest::Client::new()
                    .delete(format!("{}{sub_path}", emulator.base_url))
                    .bearer_auth(emulator.emulator.secret_key())
                    .send()
                    .await
                    .expect("cancel");
            }
            3 => advance_clock(emulator, &clock, 32 * 86_400).await,
            _ => {
                make_card_fail(emulator, &cid, &sub_id).await;
                advance_clock(emulator, &clock, 32 * 86_400).await;
            }
        }
        customers.push(cid);
    }
    let events = all_emulator_events(emulator).await;
    customers
        .into_iter()
        .map(|customer| {
            let events = events
                .iter()
                .filter(|e| {
                    let o = &e["data"]["object"];
                    o["id"] == json!(customer) || o["customer"] == json!(customer)
                })
                .map(|e| {
                    let mut event = inbox_event(
                        e["id"].as_str().unwrap_or_default().to_owned(),
                        e["type"].as_str().unwrap_or_default(),
                        e["created"].as_i64().unwrap_or_default(),
                        e["data"]["object"].clone(),
                        e["data"].get("previous_attributes").cloned(),
                    );
                    event.payload = json!({ "data": e["data"] });
                    event
                })
                .collect();
            History { customer, events }
        })
        .collect()
}

/// Applies `events` in the given order in a transaction that is rolled back, and returns
/// the state they left: every stored object of the customer and its typed rows.
async fn final_state(
    settings: &SettingsContext<'_>,
    customer: &str,
    events: &[&InboxEvent],
) -> Value {
    let mut tx = settings.pool.begin().await.expect("begin");
    // One event at a time, each reading what the previous one stored.
    for event in events {
        let mut applier = Applier::new(settings.clone());
        apply_event(&mut tx, &mut applier, event)
            .await
            .expect("apply");
    }
    let state: Value = sqlx::query_scalar(
        "SELECT jsonb_build_object(
            'objects', (SELECT jsonb_object_agg(id, object) FROM stripe_objects
                        WHERE id = $1 OR object->>'customer' = $1),
            'subscriptions', (SELECT jsonb_agg(to_jsonb(s) - 'updated_at' ORDER BY id)
                              FROM subscriptions s WHERE customer_id = $1),
            'invoices', (SELECT jsonb_agg(to_jsonb(i) - 'updated_at' ORDER BY id)
                         FROM invoices i WHERE customer_id = $1),
            'customer', (SELECT to_jsonb(c) - 'updated_at' FROM customers c WHERE id = $1))",
    )
    .bind(customer)
    .fetch_one(&mut *tx)
    .await
    .expect("state");
    tx.rollback().await.expect("rollback");
    state
}

#[tokio::test]
async fn two_hundred_histories_in_a_hundred_shuffled_orders_end_as_in_order() {
    let (app, emulator) = spawn_app_with_stripe().await;
    let price = plan_in_catalog(&app, &emulator, &[]).await;
    let histories = histories(&emulator, &price, 200).await;
    let emulator = std::sync::Arc::new(emulator);
    // Four histories at a time, each order in its own rolled-back transaction.
    let mut chunks: Vec<Vec<History>> = (0..4).map(|_| Vec::new()).collect();
    for (i, history) in histories.into_iter().enumerate() {
        chunks[i % 4].push(history);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in chunks {
        let (pool, emulator) = (app.pool.clone(), emulator.clone());
        tasks.spawn(async move {
            let rules = Rules::new();
            let settings = SettingsContext {
                pool: &pool,
                cipher: &rules.cipher,
                env: &rules.env,
                public_url: "https://billing.example.com",
            };
            for history in &chunk {
                replay_shuffled(&settings, &emulator, history, 100).await;
            }
        });
    }
    for result in tasks.join_all().await {
        let () = result;
    }
}

/// Applies `history` in order, checks the subscription ends as Stripe has it, then in
/// `orders` shuffled orders, each of which must end in the same state.
async fn replay_shuffled(
    settings: &SettingsContext<'_>,
    emulator: &stripe_emulator::Running,
    history: &History,
    orders: usize,
) {
    assert!(history.events.len() >= 4, "{} events", history.events.len());
    let in_order: Vec<&InboxEvent> = history.events.iter().collect();
    let expected = final_state(settings, &history.customer, &in_order).await;
    let sub_id = expected["subscriptions"][0]["id"]
        .as_str()
        .expect("subscription");
    let live = stripe_get(emulator, &format!("/v1/subscriptions/{sub_id}")).await;
    assert_eq!(
        expected["objects"][sub_id], live,
        "{sub_id} differs from Stripe"
    );
    let mut rng = rand::rngs::StdRng::from_entropy();
    for _ in 0..orders {
        let mut shuffled = in_order.clone();
        shuffled.shuffle(&mut rng);
        let state = final_state(settings, &history.customer, &shuffled).await;
        assert_eq!(state, expected, "history of {}", history.customer);
    }
}

#[tokio::test]
async fn a_failing_event_is_retried_then_failed_and_an_admin_replays_it() {
    let (app, _emulator) = without_worker().await;
    let rules = Rules::new();
    let settings = rules.settings(&app);
    let broken = inbox_event(
        "evt_broken".into(),
        "invoice.paid",
        1,
        json!({"id": "in_broken", "object": "invoice"}),
        None,
    );
    let unknown = inbox_event(
        "evt_unknown".into(),
        "issuing_card.created",
        1,
        json!({"id": "ic_1"}),
        None,
    );
    store_in_inbox(&app, &broken).await;
    store_in_inbox(&app, &unknown).await;
    let report = drain(&settings).await.expect("drain");
    assert_eq!((report.retrying, report.ignored), (1, 1));
    let (status, attempts, error): (String, i32, Option<String>) = sqlx::query_as(
        "SELECT status, attempts, last_error FROM stripe_events WHERE id = 'evt_broken'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("row");
    assert_eq!((status.as_str(), attempts), ("pending", 1));
    assert!(error.expect("error").contains("invoice"));
    // Not due again until its backoff has passed.
    assert_eq!(drain(&settings).await.expect("drain").total(), 0);
    for _ in 1..MAX_ATTEMPTS {
        sqlx::query("UPDATE stripe_events SET next_attempt_at = now() WHERE id = 'evt_broken'")
            .execute(&app.pool)
            .await
            .expect("make due");
        drain(&settings).await.expect("drain");
    }
    let list: Vec<EventSummary> = app
        .call("events/list", &[("status", "failed"), ("search", "")])
        .await
        .ok();
    let rows: Vec<(String, String, i32)> =
        sqlx::query_as("SELECT id, status, attempts FROM stripe_events")
            .fetch_all(&app.pool)
            .await
            .expect("rows");
    assert_eq!(list.len(), 1, "{rows:?}");
    assert_eq!(list[0].attempts, MAX_ATTEMPTS);

    let bad = app
        .call::<u64>("events/replay", &[("ids[0]", "not-an-event")])
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let queued: u64 = app
        .call("events/replay", &[("ids[0]", "evt_broken")])
        .await
        .ok();
    assert_eq!(queued, 1);
    let status: String =
        sqlx::query_scalar("SELECT status FROM stripe_events WHERE id = 'evt_broken'")
            .fetch_one(&app.pool)
            .await
            .expect("status");
    assert_eq!(status, "pending");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM audit_log WHERE action = 'events.replayed'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn missing_parents_and_a_customer_deleted_first_are_handled() {
    let (app, _emulator) = without_worker().await;
    let rules = Rules::new();
    let settings = rules.settings(&app);
    let t = 1_800_000_000;
    let mut canceled = subscription("sub_orphan", "canceled", t);
    canceled["customer"] = json!("cus_gone");
    let mut active = subscription("sub_orphan", "active", t);
    active["customer"] = json!("cus_gone");
    for event in [
        inbox_event(
            "evt_del".into(),
            "customer.deleted",
            t + 5,
            json!({"id": "cus_gone", "object": "customer", "email": "gone@example.com"}),
            None,
        ),
        inbox_event(
            "evt_subdel".into(),
            "customer.subscription.deleted",
            t + 5,
            canceled,
            None,
        ),
        inbox_event(
            "evt_subcreated".into(),
            "customer.subscription.created",
            t,
            active,
            None,
        ),
    ] {
        store_in_inbox(&app, &event).await;
    }
    let report = drain(&settings).await.expect("drain");
    assert_eq!(report.processed, 3);
    let (status, deleted): (String, bool) = sqlx::query_as(
        "SELECT s.status, c.deleted FROM subscriptions s JOIN customers c ON c.id = s.customer_id
         WHERE s.id = 'sub_orphan'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("row");
    assert_eq!((status.as_str(), deleted), ("canceled", true));
}

#[tokio::test]
async fn the_console_compares_an_events_object_with_stripe() {
    let (app, emulator) = spawn_app_with_stripe().await;
    register_webhook(&app, &emulator).await;
    let customer = stripe_post(&emulator, "/v1/customers", &[("email", "cmp@example.com")]).await;
    let cid = customer["id"].as_str().expect("id").to_owned();
    eventually("customer stored", || async {
        count(
            &app,
            "SELECT count(*) FROM customers WHERE email = 'cmp@example.com'",
        )
        .await
            == 1
    })
    .await;
    let event: String = sqlx::query_scalar("SELECT id FROM stripe_events WHERE object_id = $1")
        .bind(&cid)
        .fetch_one(&app.pool)
        .await
        .expect("event");
    let same: ObjectComparison = app.call("events/compare", &[("id", &event)]).await.ok();
    assert!(same.differences.is_empty(), "{:?}", same.differences);
    // Paydesk's copy drifts (an event lost): the comparison names the field.
    sqlx::query("UPDATE stripe_objects SET object = jsonb_set(object, '{name}', '\"Old\"')")
        .execute(&app.pool)
        .await
        .expect("drift");
    let drift: ObjectComparison = app.call("events/compare", &[("id", &event)]).await.ok();
    assert_eq!(drift.differences.len(), 1);
    assert_eq!(drift.differences[0].field, "name");
}

#[tokio::test]
async fn reconcile_reports_then_fixes_drift_from_stripe() {
    let (app, emulator) = spawn_app_with_stripe().await;
    register_webhook(&app, &emulator).await;
    let price = plan_in_catalog(&app, &emulator, &[]).await;
    let customer = stripe_post(&emulator, "/v1/customers", &[("email", "r@example.com")]).await;
    let cid = customer["id"].as_str().expect("customer");
    give_default_card(&emulator, cid).await;
    let sub = stripe_post(
        &emulator,
        "/v1/subscriptions",
        &[("customer", cid), ("items[0][price]", &price)],
    )
    .await;
    let sub_id = sub["id"].as_str().expect("subscription").to_owned();
    // Stripe delivers the subscription's events one by one: wait until Paydesk has them all.
    eventually("the subscription's events applied", || async {
        count(
            &app,
            "SELECT count(*) FROM stripe_events WHERE status = 'pending'",
        )
        .await
            == 0
            && count(
                &app,
                "SELECT count(*) FROM subscriptions WHERE status = 'active'",
            )
            .await
                == 1
    })
    .await;
    let rules = Rules::new();
    let settings = rules.settings(&app);
    let mode = app::model::StripeMode::Test;
    let clean = reconcile(&settings, mode, false).await.expect("reconcile");
    assert!(clean.drifted.is_empty(), "{:?}", clean.drifted);

    sqlx::query("UPDATE stripe_objects SET object = jsonb_set(object, '{status}', '\"past_due\"') WHERE id = $1")
        .bind(&sub_id)
        .execute(&app.pool)
        .await
        .expect("drift");
    sqlx::query("UPDATE subscriptions SET status = 'past_due'")
        .execute(&app.pool)
        .await
        .expect("drift");
    let report = reconcile(&settings, mode, false).await.expect("dry run");
    assert_eq!(report.drifted.len(), 1);
    assert_eq!(report.drifted[0].0, sub_id);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM subscriptions WHERE status = 'past_due'"
        )
        .await,
        1
    );
    let fixed = reconcile(&settings, mode, true).await.expect("fix");
    assert_eq!(fixed.drifted.len(), 1);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM subscriptions WHERE status = 'active'"
        )
        .await,
        1
    );
    assert!(reconcile(&settings, mode, false)
        .await
        .expect("again")
        .drifted
        .is_empty());
}
