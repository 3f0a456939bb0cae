//! Abuse limits: sign-in and sign-up per address and per account, bounded password hashing,
//! webhooks that a busy main pool cannot starve, a member's Stripe budget, short ticket holds,
//! and pruning. Clients pick their source address in 127.0.0.0/8 (all loopback on Linux) to
//! stand for different networks.

use crate::helpers::{
    fresh_database, register_webhook, sign_up_member, spawn_app, spawn_app_with_env,
    spawn_app_with_stripe_and_env, stripe_get, stripe_post, TestApp, PASSWORD,
};
use app::model::{AppError, MemberOverview, PlansPage, Redirect};
use app::server::webhooks::signature::sign;
use reqwest::StatusCode;
use serde_json::Value;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

/// A browser of its own whose requests come from 127.0.0.`last`.
fn visitor_from(app: &TestApp, last: u8) -> TestApp {
    let cookies = Arc::new(reqwest::cookie::Jar::default());
    let client = reqwest::Client::builder()
        .cookie_provider(cookies.clone())
        .redirect(reqwest::redirect::Policy::none())
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)))
        .build()
        .expect("http client");
    TestApp {
        base: app.base.clone(),
        pool: app.pool.clone(),
        client,
        cookies,
    }
}

/// Runs `count` sign-ins at once; returns their statuses.
async fn parallel_log_ins(
    visitor: &TestApp,
    email: &str,
    password: &str,
    count: usize,
) -> Vec<StatusCode> {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..count {
        // Same client, so the same source address.
        let visitor = visitor.same_browser();
        let (email, password) = (email.to_owned(), password.to_owned());
        tasks.spawn(async move { visitor.log_in(&email, &password).await.status });
    }
    tasks.join_all().await
}

fn count(statuses: &[StatusCode], wanted: StatusCode) -> usize {
    statuses.iter().filter(|s| **s == wanted).count()
}

#[tokio::test]
async fn twenty_parallel_wrong_guesses_reach_the_password_check_at_most_five_times() {
    let app = spawn_app().await;
    app.sign_up("Ada", "ada@example.com", PASSWORD).await.ok();
    let attacker = visitor_from(&app, 2);
    let statuses = parallel_log_ins(&attacker, "ada@example.com", "guess-guess-guess", 20).await;
    let checked = count(&statuses, StatusCode::UNAUTHORIZED);
    let refused = count(&statuses, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        checked <= 5,
        "{checked} of 20 parallel guesses reached the password check: {statuses:?}"
    );
    assert_eq!(checked + refused, 20, "{statuses:?}");
}

#[tokio::test]
async fn an_attackers_failures_from_one_address_do_not_stop_the_owner_from_another() {
    let app = spawn_app().await;
    app.sign_up("Ada", "ada@example.com", PASSWORD).await.ok();
    let attacker = visitor_from(&app, 2);
    for _ in 0..5 {
        let answer = attacker
            .log_in("ada@example.com", "guess-guess-guess")
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
    let throttled = attacker.log_in("ada@example.com", PASSWORD).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);

    let owner = visitor_from(&app, 3);
    let answer = owner.log_in("ada@example.com", PASSWORD).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.raw);
}

#[tokio::test]
async fn guesses_spread_over_many_addresses_are_capped_per_account_yet_a_fresh_address_may_try() {
    let app = spawn_app().await;
    app.sign_up("Ada", "ada@example.com", PASSWORD).await.ok();
    // Ten addresses, five free failures each: the account's 50 per 15 minutes.
    for last in 10..20 {
        let attacker = visitor_from(&app, last);
        for _ in 0..5 {
            let answer = attacker
                .log_in("ada@example.com", "guess-guess-guess")
                .await;
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.raw);
        }
    }
    // Past the account's cap, an address with no failure on it gets one try, and no second.
    let late = visitor_from(&app, 30);
    let first = late.log_in("ada@example.com", "guess-guess-guess").await;
    assert_eq!(first.status, StatusCode::UNAUTHORIZED, "{}", first.raw);
    let second = late.log_in("ada@example.com", PASSWORD).await;
    assert_eq!(second.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(matches!(second.err(), AppError::TooManyRequests(m) if m.contains("this account")));
    // So the owner, from an address of their own, is not locked out by strangers.
    let owner = visitor_from(&app, 40)
        .log_in("ada@example.com", PASSWORD)
        .await;
    assert_eq!(owner.status, StatusCode::OK, "{}", owner.raw);
}

#[tokio::test]
async fn one_address_cannot_guess_across_many_accounts_without_limit() {
    let app = spawn_app().await;
    let attacker = visitor_from(&app, 2);
    // Five free failures on each of six addresses' accounts: 30, the address's allowance.
    for account in 0..6 {
        let email = format!("user{account}@example.com");
        for _ in 0..5 {
            let answer = attacker.log_in(&email, "guess-guess-guess").await;
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.raw);
        }
    }
    let next = attacker
        .log_in("user9@example.com", "guess-guess-guess")
        .await;
    assert_eq!(next.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(matches!(next.err(), AppError::TooManyRequests(m) if m.contains("your network")));
}

#[tokio::test]
async fn a_sign_up_flood_from_one_address_is_cut_off_and_others_still_sign_up() {
    let app = spawn_app().await;
    let mut statuses = Vec::new();
    for n in 0..25 {
        let visitor = visitor_from(&app, 2);
        let email = format!("bot{n}@example.com");
        statuses.push(visitor.sign_up("Bot", &email, PASSWORD).await.status);
    }
    assert_eq!(count(&statuses, StatusCode::OK), 20, "{statuses:?}");
    assert_eq!(count(&statuses, StatusCode::TOO_MANY_REQUESTS), 5);
    assert_eq!(app.user_count().await, 20);
    let someone_else = visitor_from(&app, 3)
        .sign_up("Ada", "ada@example.com", PASSWORD)
        .await;
    assert_eq!(someone_else.status, StatusCode::OK, "{}", someone_else.raw);
}

#[tokio::test]
async fn password_hashes_run_a_few_at_a_time_and_the_rest_are_told_busy() {
    let app = spawn_app_with_env(
        fresh_database().await,
        &[("PAYDESK_PASSWORD_HASH_WAIT_MS", "0")],
    )
    .await;
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..12u8 {
        let visitor = visitor_from(&app, 50 + n);
        tasks.spawn(async move {
            let answer = visitor
                .sign_up("Bot", &format!("bot{n}@example.com"), PASSWORD)
                .await;
            (answer.status, answer.raw)
        });
    }
    let answers = tasks.join_all().await;
    let ok = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    let busy = answers
        .iter()
        .filter(|(s, raw)| *s == StatusCode::TOO_MANY_REQUESTS && raw.contains("busy"))
        .count();
    assert_eq!(ok + busy, 12, "{answers:?}");
    assert!(busy > 0, "12 sign-ups at once all hashed: {answers:?}");
    assert!(
        app::server::passwords::peak_concurrent_hashes()
            <= app::server::passwords::max_concurrent_hashes()
    );
}

#[tokio::test]
async fn webhooks_are_stored_while_every_main_pool_connection_is_taken() {
    const SECRET: &str = "whsec_paydesktestsecret0001";
    let app = spawn_app_with_env(
        fresh_database().await,
        &[
            ("STRIPE_SECRET_KEY", "sk_test_starvestarvestarve1234"),
            ("STRIPE_WEBHOOK_SECRET", SECRET),
        ],
    )
    .await;
    // A flood of sign-ins or pages holding every connection of the app's main pool.
    let mut held = Vec::new();
    for _ in 0..app.pool.options().get_max_connections() {
        held.push(app.pool.acquire().await.expect("connection"));
    }
    let now = chrono::Utc::now().timestamp();
    let body = format!(
        r#"{{"id":"evt_starve","object":"event","type":"customer.created","livemode":false,"created":{now},"api_version":"2026-09-30.endive","data":{{"object":{{"id":"cus_1","object":"customer"}}}}}}"#
    );
    let status = app
        .client
        .post(format!("{}/api/stripe/webhook", app.base))
        .header("content-type", "application/json")
        .header(
            "stripe-signature",
            format!("t={now},v1={}", sign(SECRET, now, body.as_bytes())),
        )
        .body(body)
        .send()
        .await
        .expect("deliver")
        .status();
    drop(held);
    assert_eq!(status, StatusCode::OK);
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM stripe_events WHERE id = 'evt_starve'")
            .fetch_one(&app.pool)
            .await
            .expect("count");
    assert_eq!(stored, 1);
}

#[tokio::test]
async fn idle_rate_limit_counters_are_pruned_and_live_ones_kept() {
    let pool = fresh_database().await;
    sqlx::query(
        "INSERT INTO rate_limits (scope, key, hits, window_start, last_hit_at) VALUES
           ('sign_in_address', '192.0.2.1', 3, now() - interval '2 days', now() - interval '2 days'),
           ('sign_in_address', '192.0.2.2', 3, now() - interval '1 hour', now() - interval '1 hour')",
    )
    .execute(&pool)
    .await
    .expect("old counters");
    // The server prunes when it starts and every ten minutes after.
    let app = spawn_app_with_env(pool, &[]).await;
    crate::helpers::eventually("the idle counter to be pruned", || async {
        let keys: Vec<String> = sqlx::query_scalar("SELECT key FROM rate_limits ORDER BY key")
            .fetch_all(&app.pool)
            .await
            .expect("keys");
        keys == ["192.0.2.2"]
    })
    .await;
}

#[tokio::test]
async fn a_member_who_calls_stripe_too_fast_is_told_to_wait_but_local_pages_still_load() {
    let (admin, emulator) =
        spawn_app_with_stripe_and_env(&[("PAYDESK_MEMBER_STRIPE_CALLS_PER_MINUTE", "3")]).await;
    register_webhook(&admin, &emulator).await;
    let (member, _) = sign_up_member(&admin, "fast@example.com").await;
    for _ in 0..3 {
        let overview = member.call::<MemberOverview>("billing/overview", &[]).await;
        assert_eq!(overview.status, StatusCode::OK, "{}", overview.raw);
    }
    let fourth = member.call::<MemberOverview>("billing/overview", &[]).await;
    assert_eq!(fourth.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(matches!(fourth.err(), AppError::TooManyRequests(m) if m.contains("wait a minute")));
    let cards = member.call::<Value>("billing/cards", &[]).await;
    assert_eq!(cards.status, StatusCode::TOO_MANY_REQUESTS);
    // The plans page reads only Paydesk's tables: not charged.
    let plans = member.call::<PlansPage>("billing/plans", &[]).await;
    assert_eq!(plans.status, StatusCode::OK, "{}", plans.raw);
    // Another member has a budget of their own.
    let (other, _) = sign_up_member(&admin, "slow@example.com").await;
    let theirs = other.call::<MemberOverview>("billing/overview", &[]).await;
    assert_eq!(theirs.status, StatusCode::OK, "{}", theirs.raw);
}

#[tokio::test]
async fn a_ticket_checkout_holds_its_seat_for_half_an_hour_not_a_day() {
    let (admin, emulator) = spawn_app_with_stripe_and_env(&[]).await;
    register_webhook(&admin, &emulator).await;
    let product = stripe_post(
        &emulator,
        "/v1/products",
        &[("name", "Meetup ticket"), ("metadata[capacity]", "1")],
    )
    .await;
    let price = stripe_post(
        &emulator,
        "/v1/prices",
        &[
            ("product", product["id"].as_str().expect("product")),
            ("currency", "eur"),
            ("unit_amount", "2500"),
        ],
    )
    .await;
    admin.call::<Value>("catalog/import", &[]).await.ok();
    let price = price["id"].as_str().expect("price");
    let (first, _) = sign_up_member(&admin, "first@example.com").await;
    let redirect: Redirect = first
        .call("billing/checkout", &[("price_id", price)])
        .await
        .ok();
    let id = redirect.url.rsplit('/').next().expect("session id");
    let session = stripe_get(&emulator, &format!("/v1/checkout/sessions/{id}")).await;
    let lifetime = session["expires_at"].as_i64().expect("expires_at")
        - session["created"].as_i64().expect("created");
    assert!(
        (30 * 60..=32 * 60).contains(&lifetime),
        "a ticket Checkout lives {lifetime} s"
    );

    // The seat is held while the session is open; once it lapses it is free again.
    let (second, _) = sign_up_member(&admin, "second@example.com").await;
    let held = second
        .call::<Redirect>("billing/checkout", &[("price_id", price)])
        .await;
    assert_eq!(held.status, StatusCode::CONFLICT);
    sqlx::query(
        "UPDATE checkout_sessions SET expires_at = now() - interval '1 second' WHERE id = $1",
    )
    .bind(id)
    .execute(&admin.pool)
    .await
    .expect("let the hold lapse");
    let freed = second
        .call::<Redirect>("billing/checkout", &[("price_id", price)])
        .await;
    assert_eq!(freed.status, StatusCode::OK, "{}", freed.raw);
}

#[tokio::test]
async fn behind_the_trusted_proxy_clients_are_told_apart_by_the_address_it_forwards() {
    let app = spawn_app_with_env(
        fresh_database().await,
        &[("PAYDESK_TRUSTED_PROXY", "127.0.0.1")],
    )
    .await;
    app.sign_up("Ada", "ada@example.com", PASSWORD).await.ok();
    let login = |password: &'static str| [("email", "ada@example.com"), ("password", password)];
    let attacker = app.another_visitor();
    for _ in 0..5 {
        let answer = attacker
            .call_with::<()>(
                "auth/login",
                &login("guess-guess-guess"),
                &[("x-forwarded-for", "198.51.100.1")],
            )
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
    let throttled = attacker
        .call_with::<()>(
            "auth/login",
            &login(PASSWORD),
            &[("x-forwarded-for", "198.51.100.1")],
        )
        .await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    let owner = app
        .another_visitor()
        .call_with::<()>(
            "auth/login",
            &login(PASSWORD),
            &[("x-forwarded-for", "203.0.113.7, 198.51.100.2")],
        )
        .await;
    assert_eq!(owner.status, StatusCode::OK, "{}", owner.raw);

    // From anyone but the proxy the header is the client's own word, and ignored.
    let spoofer = visitor_from(&app, 3);
    let forged = [
        "192.0.2.1",
        "192.0.2.2",
        "192.0.2.3",
        "192.0.2.4",
        "192.0.2.5",
    ];
    for address in forged {
        let answer = spoofer
            .call_with::<()>(
                "auth/login",
                &login("guess-guess-guess"),
                &[("x-forwarded-for", address)],
            )
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
    let sixth = spoofer
        .call_with::<()>(
            "auth/login",
            &login(PASSWORD),
            &[("x-forwarded-for", "192.0.2.6")],
        )
        .await;
    assert_eq!(sixth.status, StatusCode::TOO_MANY_REQUESTS);
}
