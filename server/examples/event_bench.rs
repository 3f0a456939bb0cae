//! Webhook ingest and event worker figures for docs/benchmarks.md, on a durable Postgres
//! (fsync on) made from the system's binaries:
//!
//! 1. ingest: unique signed events POSTed over loopback on `concurrency` keep-alive
//!    connections to a running Paydesk (worker off, so the figure is the endpoint's alone):
//!    rate, p50, p99;
//! 2. pgbench's rate for a single-row insert of such an event into the same Postgres, with the
//!    same number of clients: the physical limit of a durable ingest;
//! 3. the worker applying those events (subscription updates, no Stripe fetch): events/s,
//!    with one worker and with two side by side.
//!
//!     cargo run --release -p paydesk --example event_bench -- [events] [concurrency]

#![recursion_limit = "256"]

use anyhow::{Context, Result};
use app::server::billing::events::drain;
use app::server::billing::settings::{SettingsContext, StripeEnv};
use app::server::crypto::SecretCipher;
use app::server::webhooks::signature::sign;
use paydesk::config::Config;
use paydesk::embedded_pg::{Durability, PgCluster};
use paydesk::startup::{self, Application};
use serde_json::json;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SECRET: &str = "whsec_benchbenchbench0001";
const MASTER_KEY: &str = "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";

/// Subscriptions the events are spread over.
const SUBSCRIPTIONS: usize = 2_000;

/// A `customer.subscription.updated` of about the size Stripe sends: each of the
/// subscriptions updated in turn, a second later each round.
fn event(n: usize, base: i64) -> String {
    let sub = n % SUBSCRIPTIONS;
    let created = base + i64::try_from(n / SUBSCRIPTIONS).unwrap_or(0);
    json!({
        "id": format!("evt_bench{n:08}"),
        "object": "event",
        "type": "customer.subscription.updated",
        "livemode": false,
        "created": created,
        "api_version": "2026-09-30.endive",
        "data": {
            "object": {
                "id": format!("sub_bench{sub:04}"), "object": "subscription",
                "customer": format!("cus_bench{sub:04}"), "status": "active",
                "cancel_at_period_end": false, "cancel_at": null, "canceled_at": null,
                "collection_method": "charge_automatically", "created": base, "currency": "eur",
                "current_period_start": created, "current_period_end": created + 2_592_000,
                "default_payment_method": "pm_1Bench", "latest_invoice": format!("in_bench{n:08}"),
                "metadata": {"paydesk_user_id": "", "revision": n.to_string()},
                "automatic_tax": {"enabled": false, "liability": null},
                "billing_cycle_anchor": base, "start_date": base, "ended_at": null,
                "trial_end": null, "trial_start": null, "test_clock": null,
                "items": {"object": "list", "has_more": false, "data": [{
                    "id": format!("si_bench{sub:04}"), "object": "subscription_item",
                    "quantity": 1, "current_period_start": created,
                    "current_period_end": created + 2_592_000,
                    "price": {"id": "price_bench", "object": "price", "active": true,
                              "currency": "eur", "unit_amount": 1900, "type": "recurring",
                              "product": "prod_bench", "billing_scheme": "per_unit",
                              "recurring": {"interval": "month", "interval_count": 1,
                                            "usage_type": "licensed"},
                              "tax_behavior": "exclusive", "lookup_key": null, "metadata": {}},
                    "plan": {"id": "price_bench", "object": "plan", "active": true,
                             "amount": 1900, "currency": "eur", "interval": "month",
                             "interval_count": 1, "product": "prod_bench",
                             "usage_type": "licensed", "billing_scheme": "per_unit"},
                    "tax_rates": [], "discounts": [], "metadata": {}}]},
                "payment_settings": {"payment_method_options": null,
                                     "payment_method_types": null,
                                     "save_default_payment_method": "off"}
            },
            "previous_attributes": {"latest_invoice": format!("in_bench{:08}", n.saturating_sub(SUBSCRIPTIONS))}
        }
    })
    .to_string()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let events: usize = args.next().map_or(Ok(20_000), |a| a.parse())?;
    let concurrency: usize = args.next().map_or(Ok(32), |a| a.parse())?;

    let dir = std::env::temp_dir().join(format!("paydesk-bench-{}", std::process::id()));
    let cluster = PgCluster::start(&dir, Durability::Durable)?;
    cluster.remove_when_process_exits(std::process::id())?;
    let url = cluster.url("postgres");
    let pool = startup::connect(&url).await?;
    startup::migrate(&pool).await?;

    let config = Config::from_lookup(|name| {
        match name {
            "PAYDESK_ADDR" => Some("127.0.0.1:0"),
            "PAYDESK_MASTER_KEY" => Some(MASTER_KEY),
            "STRIPE_SECRET_KEY" => Some("sk_test_benchbenchbench1234"),
            "STRIPE_WEBHOOK_SECRET" => Some(SECRET),
            "PAYDESK_EVENT_WORKER" => Some("off"),
            _ => None,
        }
        .map(str::to_owned)
    })?;
    let app = Application::build(&config, pool.clone()).await?;

    // 1. Ingest. Every delivery is signed before the clock starts (well inside the 300 s
    // tolerance; the run takes seconds), so the 2 cores go to Paydesk as pgbench's go to
    // Postgres: the sender is a few lines of HTTP/1.1 on its own thread, like pgbench's C
    // client, not a general client library sharing Paydesk's runtime.
    let base = chrono::Utc::now().timestamp() - 86_400;
    let now = chrono::Utc::now().timestamp();
    let addr = app.local_addr();
    tokio::spawn(app.run_until(std::future::pending()));
    let bodies: Vec<String> = (0..events).map(|n| event(n, base)).collect();
    let payload_size = bodies[0].len();
    let requests: Arc<Vec<Vec<u8>>> = Arc::new(
        bodies
            .iter()
            .map(|body| {
                let signature = format!("t={now},v1={}", sign(SECRET, now, body.as_bytes()));
                format!(
                    "POST /api/stripe/webhook HTTP/1.1\r\nhost: {addr}\r\n\
                     content-type: application/json\r\nstripe-signature: {signature}\r\n\
                     content-length: {}\r\n\r\n{body}",
                    body.len()
                )
                .into_bytes()
            })
            .collect(),
    );
    let started = Instant::now();
    let mut latencies = tokio::task::spawn_blocking(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(send_all(addr, requests, concurrency))
    })
    .await??;
    let ingest_time = started.elapsed();
    latencies.sort_unstable();
    let ingest_rate = events as f64 / ingest_time.as_secs_f64();

    // 2. pgbench: the same Postgres, the same clients, one durable row of the same event each.
    let pgbench = pgbench_rate(&cluster, &url, concurrency, &bodies[0]).await?;

    // 3. The worker.
    let cipher = SecretCipher::new(config.require_master_key()?.bytes());
    let env = StripeEnv::default();
    let settings = SettingsContext {
        pool: &pool,
        cipher: &cipher,
        env: &env,
        public_url: "http://127.0.0.1",
    };
    // The first half with one worker, the second with two at once (as two processes would).
    let half = i64::try_from(events / 2)?;
    sqlx::query(
        "UPDATE stripe_events SET next_attempt_at = now() + interval '1 day'
         WHERE id IN (SELECT id FROM stripe_events ORDER BY id OFFSET $1)",
    )
    .bind(half)
    .execute(&pool)
    .await?;
    let started = Instant::now();
    let one = drain(&settings).await?;
    let one_worker = one.processed as f64 / started.elapsed().as_secs_f64();
    sqlx::query("UPDATE stripe_events SET next_attempt_at = now() WHERE status = 'pending'")
        .execute(&pool)
        .await?;
    let started = Instant::now();
    let (a, b) = tokio::join!(drain(&settings), drain(&settings));
    let two_workers = (a?.processed + b?.processed) as f64 / started.elapsed().as_secs_f64();
    let applied = count_processed(&pool).await?;
    anyhow::ensure!(
        applied == events as i64,
        "worker applied {applied} of {events}"
    );

    println!("| figure | value |\n|---|---|");
    println!("| events | {events} of {payload_size} bytes, {concurrency} clients |");
    println!(
        "| webhook ingest | {ingest_rate:.0} events/s (p50 {:.1} ms, p99 {:.1} ms) |",
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3
    );
    println!(
        "| pgbench single-row insert | {pgbench:.0} rows/s (ingest is {:.0}% of it) |",
        ingest_rate / pgbench * 100.0
    );
    println!("| worker apply, one worker | {one_worker:.0} events/s (batches of 200) |");
    println!("| worker apply, two workers | {two_workers:.0} events/s |");
    Ok(())
}

/// Sends `requests` over `connections` keep-alive connections, one request at a time on
/// each; the latency of each, all of which must be answered 2xx.
async fn send_all(
    addr: SocketAddr,
    requests: Arc<Vec<Vec<u8>>>,
    connections: usize,
) -> Result<Vec<Duration>> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..connections {
        let (requests, next) = (requests.clone(), next.clone());
        senders.spawn(async move {
            let mut stream = TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            let mut buffer = Vec::with_capacity(1024);
            let mut latencies = Vec::new();
            while let Some(request) = requests.get(next.fetch_add(1, Ordering::Relaxed)) {
                let sent = Instant::now();
                stream.write_all(request).await?;
                let status = read_response(&mut stream, &mut buffer).await?;
                anyhow::ensure!((200..300).contains(&status), "HTTP {status}");
                latencies.push(sent.elapsed());
            }
            Ok::<_, anyhow::Error>(latencies)
        });
    }
    let mut latencies = Vec::with_capacity(requests.len());
    for result in senders.join_all().await {
        latencies.extend(result?);
    }
    Ok(latencies)
}

/// Reads one HTTP/1.1 response with a `content-length` body; its status.
async fn read_response(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Result<u16> {
    buffer.clear();
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        anyhow::ensure!(stream.read_buf(buffer).await? > 0, "connection closed");
    };
    let head = std::str::from_utf8(&buffer[..head_end])?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("status line")?;
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .context("content-length")?;
    while buffer.len() < head_end + length {
        anyhow::ensure!(stream.read_buf(buffer).await? > 0, "connection closed");
    }
    Ok(status)
}

async fn count_processed(pool: &sqlx::PgPool) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM stripe_events WHERE status = 'processed'")
            .fetch_one(pool)
            .await?,
    )
}

/// Transactions per second of pgbench inserting `payload` (an event) as one row per
/// transaction into a table shaped like the inbox, its payload compressed the same way.
async fn pgbench_rate(
    cluster: &PgCluster,
    url: &str,
    clients: usize,
    payload: &str,
) -> Result<f64> {
    let pool = startup::connect(url).await?;
    sqlx::query("CREATE TABLE bench_rows (id text PRIMARY KEY, payload jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now())")
        .execute(&pool)
        .await?;
    let compression: String = sqlx::query_scalar(
        "SELECT CASE attcompression WHEN 'l' THEN 'lz4' ELSE 'pglz' END FROM pg_attribute
          WHERE attrelid = 'stripe_events'::regclass AND attname = 'payload'",
    )
    .fetch_one(&pool)
    .await?;
    sqlx::query(&format!(
        "ALTER TABLE bench_rows ALTER COLUMN payload SET COMPRESSION {compression}"
    ))
    .execute(&pool)
    .await?;
    let payload = payload.replace('\'', "''");
    let script = std::env::temp_dir().join(format!("paydesk-pgbench-{}.sql", std::process::id()));
    std::fs::write(
        &script,
        format!(
            "INSERT INTO bench_rows (id, payload) VALUES (gen_random_uuid()::text, '{payload}');\n"
        ),
    )?;
    let bin = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "/usr/lib/postgresql/15/bin".to_owned());
    let output = Command::new(format!("{bin}/pgbench"))
        .args([
            "-n",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-T",
            "10",
            "-j",
            "2",
        ])
        .args([
            "-p",
            &cluster.port().to_string(),
            "-c",
            &clients.to_string(),
        ])
        .arg("-f")
        .arg(&script)
        .arg("postgres")
        .output()
        .context("run pgbench")?;
    let _ = std::fs::remove_file(&script);
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .find_map(|l| {
            l.strip_prefix("tps = ")
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse().ok())
        })
        .with_context(|| {
            format!(
                "pgbench said: {text}{}",
                String::from_utf8_lossy(&output.stderr)
            )
        })
}
