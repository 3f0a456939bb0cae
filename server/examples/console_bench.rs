//! The admin console's answer times at scale, for docs/benchmarks.md. Runs Paydesk in-process
//! on the database `DATABASE_URL` names (filled by `paydesk demo seed --members 1000000
//! --invoices 10000000`), signs in as the demo admin, and calls each console server function
//! over HTTP, one request at a time, with varying filters and pages: p50, p95 and max.
//!
//!     DATABASE_URL=postgres://... cargo run --release -p paydesk --example console_bench -- [requests]

#![recursion_limit = "256"]

use anyhow::{ensure, Context, Result};
use paydesk::config::Config;
use paydesk::demo::{ADMIN_EMAIL, ADMIN_PASSWORD};
use paydesk::startup::{self, Application};
use rand::seq::SliceRandom;
use std::time::{Duration, Instant};

const MASTER_KEY: &str = "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";

type Form = Vec<(String, String)>;

/// One kind of request: its endpoint and, per call, its form.
struct Case {
    name: &'static str,
    endpoint: &'static str,
    form: Box<dyn Fn(usize) -> Form>,
}

fn form(pairs: &[(&str, &str)]) -> Form {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
    #[allow(clippy::cast_sign_loss)]
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Some values of a column, spread over the table (a block sample, not a full scan).
async fn sample(pool: &sqlx::PgPool, sql: &str) -> Result<Vec<String>> {
    let mut values: Vec<String> = sqlx::query_scalar(sql)
        .fetch_all(pool)
        .await
        .with_context(|| format!("sample: {sql}"))?;
    ensure!(
        !values.is_empty(),
        "nothing sampled by {sql}: seed the database first"
    );
    values.shuffle(&mut rand::thread_rng());
    Ok(values)
}

fn pick(values: &[String], n: usize) -> String {
    values[n % values.len()].clone()
}

#[tokio::main]
async fn main() -> Result<()> {
    let requests: usize = std::env::args().nth(1).map_or(Ok(200), |a| a.parse())?;
    let url = std::env::var("DATABASE_URL").context("DATABASE_URL: the seeded database")?;
    let pool = startup::connect(&url).await?;
    startup::migrate(&pool).await?;
    let config = Config::from_lookup(|name| {
        match name {
            "PAYDESK_ADDR" => Some("127.0.0.1:0"),
            "PAYDESK_MASTER_KEY" => Some(MASTER_KEY),
            "STRIPE_SECRET_KEY" => Some("sk_test_benchbenchbench1234"),
            "PAYDESK_EVENT_WORKER" => Some("off"),
            _ => None,
        }
        .map(str::to_owned)
    })?;
    let app = Application::build(&config, pool.clone()).await?;
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until(std::future::pending()));

    let client = reqwest::Client::builder().cookie_store(true).build()?;
    let login = client
        .post(format!("{base}/rpc/auth/login"))
        .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
        .send()
        .await?;
    ensure!(
        login.status().is_success() || login.status().is_redirection(),
        "sign in as the demo admin: {}",
        login.status()
    );

    let emails = sample(
        &pool,
        "SELECT email FROM users TABLESAMPLE SYSTEM (0.05) WHERE role = 'member' LIMIT 500",
    )
    .await?;
    let customers = sample(
        &pool,
        "SELECT id FROM customers TABLESAMPLE SYSTEM (0.05) LIMIT 500",
    )
    .await?;
    let plans = sample(
        &pool,
        "SELECT id::text FROM products WHERE kind = 'plan' AND mode = 'test'",
    )
    .await?;
    let names = sample(
        &pool,
        "SELECT split_part(name, ' ', 2) FROM users TABLESAMPLE SYSTEM (0.05)
         WHERE role = 'member' LIMIT 500",
    )
    .await?;

    let full_names = sample(
        &pool,
        "SELECT split_part(name, ' ', 1) || ' ' || split_part(name, ' ', 2)
           FROM users TABLESAMPLE SYSTEM (0.05) WHERE role = 'member' LIMIT 500",
    )
    .await?;

    let members = |extra: Vec<(String, String)>| {
        let mut f = form(&[("query[q]", ""), ("query[status]", ""), ("query[plan]", "")]);
        f.push(("query[tax_unrecognized]".into(), "false".into()));
        for (k, v) in extra {
            f.retain(|(key, _)| *key != k);
            f.push((k, v));
        }
        f
    };
    let pair = |k: &str, v: String| vec![(k.to_owned(), v)];
    let invoices = |member: String, status: &str| {
        form(&[
            ("query[member]", &member),
            ("query[status]", status),
            ("query[currency]", ""),
        ])
    };
    let payments =
        |member: String, state: &str| form(&[("query[member]", &member), ("query[state]", state)]);
    let (e1, e2, e3, c1, c2, p1, p2, n1, n2) = (
        emails.clone(),
        emails.clone(),
        emails.clone(),
        customers.clone(),
        customers.clone(),
        plans.clone(),
        plans.clone(),
        names,
        full_names,
    );
    let cases: Vec<Case> = vec![
        Case {
            name: "dashboard",
            endpoint: "admin/dashboard",
            form: Box::new(|_| Vec::new()),
        },
        Case {
            name: "members, first page",
            endpoint: "admin/members",
            form: Box::new(move |_| members(Vec::new())),
        },
        Case {
            name: "members, search by email",
            endpoint: "admin/members",
            form: Box::new(move |n| members(pair("query[q]", pick(&e1, n)))),
        },
        Case {
            name: "members, search by last name",
            endpoint: "admin/members",
            form: Box::new(move |n| members(pair("query[q]", pick(&n1, n)))),
        },
        Case {
            name: "members, search by first and last name",
            endpoint: "admin/members",
            form: Box::new(move |n| members(pair("query[q]", pick(&n2, n)))),
        },
        Case {
            name: "members, search by customer id",
            endpoint: "admin/members",
            form: Box::new(move |n| members(pair("query[q]", pick(&c1, n)))),
        },
        Case {
            name: "members, past due",
            endpoint: "admin/members",
            form: Box::new(move |_| members(pair("query[status]", "past_due".into()))),
        },
        Case {
            name: "members, by plan",
            endpoint: "admin/members",
            form: Box::new(move |n| members(pair("query[plan]", pick(&p1, n)))),
        },
        Case {
            name: "members, tax address not recognised",
            endpoint: "admin/members",
            form: Box::new(move |_| members(pair("query[tax_unrecognized]", "true".into()))),
        },
        Case {
            name: "subscriptions, first page",
            endpoint: "admin/subscriptions",
            form: Box::new(|_| form(&[("query[status]", ""), ("query[plan]", "")])),
        },
        Case {
            name: "subscriptions, canceled, by plan",
            endpoint: "admin/subscriptions",
            form: Box::new(move |n| {
                form(&[
                    ("query[status]", "canceled"),
                    ("query[plan]", &pick(&p2, n)),
                ])
            }),
        },
        Case {
            name: "past due (dunning)",
            endpoint: "admin/past-due",
            form: Box::new(|_| Vec::new()),
        },
        Case {
            name: "invoices, first page",
            endpoint: "admin/invoices",
            form: Box::new(move |_| invoices(String::new(), "")),
        },
        Case {
            name: "invoices, by member email",
            endpoint: "admin/invoices",
            form: Box::new(move |n| invoices(pick(&e2, n), "")),
        },
        Case {
            name: "invoices, open",
            endpoint: "admin/invoices",
            form: Box::new(move |_| invoices(String::new(), "open")),
        },
        Case {
            name: "payments, first page",
            endpoint: "admin/payments",
            form: Box::new(move |_| payments(String::new(), "")),
        },
        Case {
            name: "payments, by member email",
            endpoint: "admin/payments",
            form: Box::new(move |n| payments(pick(&e3, n), "")),
        },
        Case {
            name: "payments, by customer id",
            endpoint: "admin/payments",
            form: Box::new(move |n| payments(pick(&c2, n), "refunded")),
        },
    ];

    println!("{requests} requests per case, one at a time, over loopback HTTP\n");
    println!("| request | p50 | p95 | max |\n|---|---|---|---|");
    for case in &cases {
        // A few first, so the figures are for a warm cache and prepared statements.
        for n in 0..5 {
            call(&client, &base, case, n).await?;
        }
        let mut times = Vec::with_capacity(requests);
        for n in 0..requests {
            let started = Instant::now();
            call(&client, &base, case, n).await?;
            times.push(started.elapsed());
        }
        times.sort();
        println!(
            "| {} | {:.1} ms | {:.1} ms | {:.1} ms |",
            case.name,
            percentile(&times, 0.50).as_secs_f64() * 1000.0,
            percentile(&times, 0.95).as_secs_f64() * 1000.0,
            times.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
        );
    }
    Ok(())
}

async fn call(client: &reqwest::Client, base: &str, case: &Case, n: usize) -> Result<()> {
    let response = client
        .post(format!("{base}/rpc/{}", case.endpoint))
        .form(&(case.form)(n))
        .send()
        .await?;
    let status = response.status();
    let body = response.bytes().await?;
    ensure!(
        status.is_success(),
        "{}: {status} {}",
        case.name,
        String::from_utf8_lossy(&body)
    );
    Ok(())
}
