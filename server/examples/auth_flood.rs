//! Abuse-limit figures for docs/benchmarks.md: a real `paydesk serve` process on loopback,
//! flooded with sign-ins and sign-ups by `clients` concurrent clients for `seconds`, while
//! signed Stripe webhooks arrive at 20 a second and the real member signs in now and then.
//!
//! Each flooding client sends from its own loopback address (127.0.1.x, all of 127.0.0.0/8 is
//! loopback on Linux) so the per-address limits do not do all the work: the bounded password
//! hashing has to hold too. Half the clients guess the real member's password (and unknown
//! addresses'), half sign up new accounts. The real member signs in from 127.0.0.2.
//!
//! Reports the server's peak RSS (VmHWM), webhook non-2xx answers, whether the member could
//! sign in, and the flood's answers by status. Loopback only; bounded by `seconds`.
//!
//!     cargo build --release -p paydesk --features app/ssr --bin paydesk --example auth_flood
//!     $CARGO_TARGET_DIR/release/examples/auth_flood [seconds] [clients]

use anyhow::{Context, Result};
use app::model::SignUp;
use app::server::webhooks::signature::sign;
use paydesk::embedded_pg::{Durability, PgCluster};
use paydesk::startup;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SECRET: &str = "whsec_floodfloodflood0001";
const MASTER_KEY: &str = "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";
const MEMBER: &str = "member@example.com";
const PASSWORD: &str = "the-members-real-password";
const WEBHOOKS_PER_SECOND: u64 = 20;

/// Kills the server when the script ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn client_from(address: Ipv4Addr) -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .local_address(IpAddr::V4(address))
        .cookie_store(true)
        .timeout(Duration::from_secs(30))
        .build()?)
}

/// The server process's peak resident memory, in KiB.
fn peak_rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("VmHWM")
}

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().map_or(Ok(30), |a| a.parse())?;
    let clients: usize = args.next().map_or(Ok(200), |a| a.parse())?;
    anyhow::ensure!(
        seconds <= 600 && (1..=250).contains(&clients),
        "at most 600 s and 250 clients"
    );

    let dir = std::env::temp_dir().join(format!("paydesk-flood-{}", std::process::id()));
    let cluster = PgCluster::start(&dir, Durability::Durable)?;
    cluster.remove_when_process_exits(std::process::id())?;
    let url = cluster.url("postgres");
    let pool = startup::connect(&url).await?;
    startup::migrate(&pool).await?;
    let form = SignUp::parse("Mia Member", MEMBER, PASSWORD.to_owned())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    app::server::accounts::sign_up(&pool, form)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    pool.close().await;

    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let base = format!("http://127.0.0.1:{port}");
    // The `paydesk` beside this example's directory, or PAYDESK_BIN (the target directory is
    // shared by checkouts, so a copy taken right after the build is surely this checkout's).
    let binary = match std::env::var_os("PAYDESK_BIN") {
        Some(path) => std::path::PathBuf::from(path),
        None => std::env::current_exe()?
            .parent()
            .and_then(|examples| examples.parent())
            .context("target directory")?
            .join("paydesk"),
    };
    anyhow::ensure!(
        binary.exists(),
        "{} is missing: build it with --bin paydesk",
        binary.display()
    );
    let server = Server(
        Command::new(&binary)
            .arg("serve")
            .env("DATABASE_URL", &url)
            .env("PAYDESK_ADDR", format!("127.0.0.1:{port}"))
            .env("PAYDESK_PUBLIC_URL", &base)
            .env("PAYDESK_MASTER_KEY", MASTER_KEY)
            .env("STRIPE_SECRET_KEY", "sk_test_floodfloodflood1234")
            .env("STRIPE_WEBHOOK_SECRET", SECRET)
            .env("PAYDESK_EVENT_WORKER", "off")
            .env("RUST_LOG", "error")
            .spawn()
            .context("start paydesk serve")?,
    );
    let pid = server.0.id();
    let probe = reqwest::Client::new();
    let started = Instant::now();
    while !probe
        .get(format!("{base}/healthz"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let idle_rss = peak_rss_kib(pid)?;

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let statuses: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
    let mut flood = tokio::task::JoinSet::new();
    for n in 0..clients {
        let (base, statuses) = (base.clone(), statuses.clone());
        let address = Ipv4Addr::new(127, 0, 1, u8::try_from(n % 250 + 1)?);
        flood.spawn(async move {
            let client = client_from(address)?;
            let mut sent = 0usize;
            while Instant::now() < deadline {
                let (endpoint, form) = if n % 2 == 0 {
                    let email = if sent % 2 == 0 {
                        MEMBER.to_owned()
                    } else {
                        format!("nobody{n}-{sent}@example.com")
                    };
                    (
                        "auth/login",
                        vec![("email", email), ("password", "guess-guess-guess".into())],
                    )
                } else {
                    (
                        "auth/signup",
                        vec![
                            ("name", "Flood".to_owned()),
                            ("email", format!("flood{n}-{sent}@example.com")),
                            ("password", "a-long-enough-password".into()),
                        ],
                    )
                };
                let answer = client
                    .post(format!("{base}/rpc/{endpoint}"))
                    .form(&form)
                    .send()
                    .await;
                let key = match answer {
                    Ok(r) => format!("{endpoint} {}", r.status().as_u16()),
                    Err(_) => format!("{endpoint} error"),
                };
                *statuses.lock().expect("statuses").entry(key).or_default() += 1;
                sent += 1;
            }
            Ok::<_, anyhow::Error>(())
        });
    }

    let webhook_failures = Arc::new(AtomicUsize::new(0));
    let webhooks = {
        let (base, failures) = (base.clone(), webhook_failures.clone());
        tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()?;
            let mut tick = tokio::time::interval(Duration::from_millis(1000 / WEBHOOKS_PER_SECOND));
            let mut sends = tokio::task::JoinSet::new();
            let mut n = 0u64;
            while Instant::now() < deadline {
                tick.tick().await;
                let now = chrono::Utc::now().timestamp();
                let body = format!(
                    r#"{{"id":"evt_flood{n:08}","object":"event","type":"customer.created","livemode":false,"created":{now},"api_version":"2026-09-30.endive","data":{{"object":{{"id":"cus_flood{n}","object":"customer"}}}}}}"#
                );
                let signature = format!("t={now},v1={}", sign(SECRET, now, body.as_bytes()));
                let (client, url, failures) = (
                    client.clone(),
                    format!("{base}/api/stripe/webhook"),
                    failures.clone(),
                );
                sends.spawn(async move {
                    let ok = client
                        .post(url)
                        .header("content-type", "application/json")
                        .header("stripe-signature", signature)
                        .body(body)
                        .send()
                        .await
                        .is_ok_and(|r| r.status().is_success());
                    if !ok {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                });
                n += 1;
            }
            sends.join_all().await;
            Ok::<_, anyhow::Error>(n)
        })
    };

    // The real member signs in from their own address halfway through and near the end,
    // retrying up to three times on "busy".
    let member = client_from(Ipv4Addr::new(127, 0, 0, 2))?;
    let mut sign_ins = Vec::new();
    for at in [seconds / 2, seconds.saturating_sub(3)] {
        let wait = (started_plus(deadline, seconds, at)).saturating_duration_since(Instant::now());
        tokio::time::sleep(wait).await;
        let tried = Instant::now();
        let mut outcome = None;
        for attempt in 1..=3 {
            let status = member
                .post(format!("{base}/rpc/auth/login"))
                .form(&[("email", MEMBER), ("password", PASSWORD)])
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0);
            if status == 200 {
                outcome = Some((attempt, tried.elapsed()));
                break;
            }
        }
        sign_ins.push((at, outcome));
    }

    for result in flood.join_all().await {
        result?;
    }
    let delivered = webhooks.await??;
    let peak_rss = peak_rss_kib(pid)?;
    drop(server);

    println!("| figure | value |\n|---|---|");
    println!("| flood | {clients} clients for {seconds} s, {delivered} webhooks at {WEBHOOKS_PER_SECOND}/s |");
    println!(
        "| server peak RSS (VmHWM) | {:.0} MiB (idle {:.0} MiB) |",
        peak_rss as f64 / 1024.0,
        idle_rss as f64 / 1024.0
    );
    println!(
        "| webhook non-2xx | {} of {delivered} |",
        webhook_failures.load(Ordering::Relaxed)
    );
    for (at, outcome) in sign_ins {
        match outcome {
            Some((attempt, took)) => println!(
                "| real member signs in at {at} s | yes, attempt {attempt}, {:.2} s |",
                took.as_secs_f64()
            ),
            None => println!("| real member signs in at {at} s | no (3 attempts) |"),
        }
    }
    for (key, count) in statuses.lock().expect("statuses").iter() {
        println!("| {key} | {count} |");
    }
    Ok(())
}

/// The instant `at` seconds into a run of `seconds` that ends at `deadline`.
fn started_plus(deadline: Instant, seconds: u64, at: u64) -> Instant {
    deadline - Duration::from_secs(seconds) + Duration::from_secs(at)
}
