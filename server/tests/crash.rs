//! Durability under crashes: 10,000 signed events sent to a real `paydesk serve` process by a
//! sender that resends whatever was not acknowledged, while the server is SIGKILLed again and
//! again and Postgres is crashed twice. Every event must be stored once and applied once.

use paydesk::embedded_pg::{Durability, PgCluster};
use serde_json::json;
use sqlx::PgPool;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const EVENTS: usize = 10_000;
const SENDERS: usize = 16;
const SECRET: &str = "whsec_crashtestsecret0001";
const MASTER_KEY: &str = "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";
const PRICE: &str = "price_crash_topup";

struct Server {
    child: Option<Child>,
    database_url: String,
    addr: String,
}

impl Server {
    fn start(&mut self) {
        let child = Command::new(env!("CARGO_BIN_EXE_paydesk"))
            .arg("serve")
            .env("DATABASE_URL", &self.database_url)
            .env("PAYDESK_ADDR", &self.addr)
            .env("PAYDESK_MASTER_KEY", MASTER_KEY)
            .env("STRIPE_SECRET_KEY", "sk_test_crashcrashcrash1234")
            .env("STRIPE_WEBHOOK_SECRET", SECRET)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start paydesk");
        self.child = Some(child);
    }

    /// SIGKILL: no graceful shutdown, open transactions die with the process.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("kill");
            child.wait().expect("reap");
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn event(n: usize, created: i64) -> String {
    json!({
        "id": format!("evt_crash{n:05}"),
        "object": "event",
        "type": "checkout.session.completed",
        "livemode": false,
        "created": created,
        "api_version": "2026-09-30.endive",
        "data": {"object": {
            "id": format!("cs_test_crash{n:05}"),
            "object": "checkout.session",
            "mode": "payment",
            "payment_status": "paid",
            "customer": format!("cus_crash{:03}", n % 100),
            "currency": "eur",
            "amount_total": 900,
            "created": created,
            "metadata": {"paydesk_price": PRICE}
        }}
    })
    .to_string()
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap_or(-1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_event_is_lost_or_applied_twice_through_kills_and_database_crashes() {
    let dir = std::env::temp_dir().join(format!("paydesk-crash-{}", std::process::id()));
    let cluster = PgCluster::start(&dir, Durability::Durable).expect("start Postgres");
    cluster
        .remove_when_process_exits(std::process::id())
        .expect("clean-up");
    let database_url = cluster.url("postgres");
    let pool = paydesk::startup::connect(&database_url)
        .await
        .expect("connect");
    paydesk::startup::migrate(&pool).await.expect("migrate");
    sqlx::query(
        "WITH p AS (INSERT INTO products (mode, kind, name, metadata)
                    VALUES ('test', 'top_up', '1-month Professional',
                            '{\"accountType\": \"professional\", \"interval\": \"1\"}')
                    RETURNING id)
         INSERT INTO prices (product_id, mode, currency, unit_amount, stripe_price_id)
         SELECT id, 'test', 'eur', 900, $1 FROM p",
    )
    .bind(PRICE)
    .execute(&pool)
    .await
    .expect("catalog");

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut server = Server {
        child: None,
        database_url,
        addr: format!("127.0.0.1:{port}"),
    };
    server.start();
    let url = format!("http://127.0.0.1:{port}/api/stripe/webhook");

    let next = Arc::new(AtomicUsize::new(0));
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let resent = Arc::new(AtomicUsize::new(0));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .expect("client");
    let created = chrono::Utc::now().timestamp();
    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..SENDERS {
        let (next, acknowledged, resent, client, url) = (
            next.clone(),
            acknowledged.clone(),
            resent.clone(),
            client.clone(),
            url.clone(),
        );
        senders.spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= EVENTS {
                    return;
                }
                let body = event(n, created);
                // Like Stripe: resend until a 2xx comes back (signed afresh each time).
                loop {
                    let now = chrono::Utc::now().timestamp();
                    let signature =
                        app::server::webhooks::signature::sign(SECRET, now, body.as_bytes());
                    let sent = client
                        .post(&url)
                        .header("content-type", "application/json")
                        .header("stripe-signature", format!("t={now},v1={signature}"))
                        .body(body.clone())
                        .send()
                        .await;
                    if sent.is_ok_and(|r| r.status().is_success()) {
                        acknowledged.fetch_add(1, Ordering::SeqCst);
                        break;
                    }
                    resent.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        });
    }

    // Chaos while the sender works: eight SIGKILLs, two of them with a Postgres crash.
    let started = Instant::now();
    for round in 0..8 {
        tokio::time::sleep(Duration::from_millis(900)).await;
        server.kill();
        if round == 2 || round == 5 {
            cluster.crash().expect("crash Postgres");
            tokio::time::sleep(Duration::from_millis(500)).await;
            cluster
                .launch(Durability::Durable)
                .expect("restart Postgres");
        }
        server.start();
    }
    senders.join_all().await;
    let sending = started.elapsed();
    assert_eq!(acknowledged.load(Ordering::SeqCst), EVENTS);

    // The server left running applies whatever is still pending.
    let deadline = Instant::now() + Duration::from_secs(180);
    while count(
        &pool,
        "SELECT count(*) FROM stripe_events WHERE status = 'processed'",
    )
    .await
        < EVENTS as i64
    {
        assert!(
            Instant::now() < deadline,
            "events still pending after 3 minutes"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    println!(
        "{EVENTS} events sent in {sending:?} through 8 kills and 2 database crashes; {} resends",
        resent.load(Ordering::SeqCst)
    );
    assert_eq!(
        count(&pool, "SELECT count(*) FROM stripe_events").await,
        EVENTS as i64
    );
    assert_eq!(
        count(&pool, "SELECT count(*) FROM purchases").await,
        EVENTS as i64
    );
    assert_eq!(
        count(&pool, "SELECT count(*) FROM top_up_credits").await,
        EVENTS as i64
    );
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM stripe_events WHERE last_error IS NOT NULL"
        )
        .await,
        0
    );
}
