//! `paydesk demo`: a private database, demo accounts and plans, and the app, in one command.

use crate::config::{Config, MasterKey};
use crate::demo_stripe;
use crate::embedded_pg::{Durability, PgCluster};
use crate::startup::{self, Application};
use anyhow::{Context, Result};
use app::model::{EmailAddress, Password, ProductKind, SignUp};
use app::server::accounts;
use app::server::db::catalog::{insert_product_if_absent, NewPrice, SeedProduct};
use secrecy::ExposeSecret;
use serde_json::json;
use sqlx::PgPool;
use std::net::SocketAddr;
use std::path::Path;

pub const ADMIN_EMAIL: &str = "admin@paydesk.test";
pub const ADMIN_PASSWORD: &str = "paydesk-admin";
pub const MEMBER_PASSWORD: &str = "paydesk-member";
pub const MEMBERS: [(&str, &str); 2] = [
    ("Ada Lovelace", "ada@paydesk.test"),
    ("Grace Hopper", "grace@paydesk.test"),
];

pub async fn run(mut config: Config, data_dir: &Path, emulator_addr: SocketAddr) -> Result<()> {
    std::fs::create_dir_all(data_dir).with_context(|| format!("create {}", data_dir.display()))?;
    if config.master_key.is_none() {
        config.master_key = Some(demo_master_key(data_dir)?);
    }
    let cluster = match &config.database_url {
        Some(_) => None,
        None => {
            let dir = data_dir.join("postgres");
            let cluster =
                tokio::task::spawn_blocking(move || PgCluster::start(&dir, Durability::Durable))
                    .await??;
            tracing::info!(port = cluster.port(), "embedded Postgres is up");
            Some(cluster)
        }
    };
    let result = serve_demo(&mut config, cluster.as_ref(), data_dir, emulator_addr).await;
    if let Some(cluster) = cluster {
        tokio::task::spawn_blocking(move || cluster.stop())
            .await?
            .context("stop embedded Postgres")?;
    }
    result
}

async fn serve_demo(
    config: &mut Config,
    cluster: Option<&PgCluster>,
    data_dir: &Path,
    emulator_addr: SocketAddr,
) -> Result<()> {
    let url = match (cluster, &config.database_url) {
        (Some(cluster), _) => cluster.url("postgres"),
        (None, Some(url)) => url.expose_secret().to_owned(),
        (None, None) => anyhow::bail!("no database"),
    };
    let pool = startup::connect(&url).await?;
    startup::migrate(&pool).await?;
    seed(&pool).await?;
    let stripe = demo_stripe::start(data_dir, emulator_addr).await?;
    // The emulator's base joins the bases the console may choose, as PAYDESK_STRIPE_API_BASES
    // would: the console itself never accepts a host the environment did not name.
    demo_stripe::allow(&mut config.stripe, &stripe);
    let app = Application::build(config, pool).await?;
    let connected = demo_stripe::connect(app.state(), &stripe, data_dir).await?;
    println!("\nPaydesk demo is running at http://{}\n", app.local_addr());
    if connected {
        println!(
            "  Stripe:  the built-in emulator at {} (test mode; key in {})",
            stripe.base_url,
            data_dir.join("stripe-emulator.key").display()
        );
    } else {
        println!(
            "  Stripe:  as configured in Settings > Payment platform (emulator idle at {})",
            stripe.base_url
        );
    }
    println!("  admin:   {ADMIN_EMAIL} / {ADMIN_PASSWORD}");
    for (_, email) in MEMBERS {
        println!("  member:  {email} / {MEMBER_PASSWORD}");
    }
    println!("\nPress Ctrl-C to stop.\n");
    app.run_until(startup::shutdown_signal()).await
}

/// Demo accounts and plans; running it again changes nothing.
pub async fn seed(pool: &PgPool) -> Result<()> {
    let admin_email = EmailAddress::parse(ADMIN_EMAIL).map_err(anyhow::Error::msg)?;
    let admin_password = Password::parse(ADMIN_PASSWORD.to_owned()).map_err(anyhow::Error::msg)?;
    accounts::create_admin(pool, &admin_email, &admin_password)
        .await
        .map_err(anyhow::Error::msg)?;
    for (name, email) in MEMBERS {
        let form =
            SignUp::parse(name, email, MEMBER_PASSWORD.to_owned()).map_err(anyhow::Error::msg)?;
        match accounts::sign_up(pool, form).await {
            Ok(_) | Err(app::model::AppError::Conflict(_)) => {}
            Err(e) => return Err(anyhow::Error::msg(e)),
        }
    }
    let price = |currency, unit_amount, interval| NewPrice {
        currency,
        unit_amount,
        interval,
    };
    let products = [
        SeedProduct {
            mode: "test",
            kind: ProductKind::Plan,
            name: "Starter",
            description: "For individuals getting started.",
            metadata: json!({}),
            prices: vec![
                price("usd", 900, Some("month")),
                price("usd", 9000, Some("year")),
            ],
        },
        SeedProduct {
            mode: "test",
            kind: ProductKind::Plan,
            name: "Pro",
            description: "For growing teams. Starts with a 14-day free trial.",
            metadata: json!({ "trial_period_days": "14" }),
            prices: vec![
                price("usd", 2900, Some("month")),
                price("usd", 29000, Some("year")),
            ],
        },
        // Seed 002's top-up: paid-until time for an account type, bought once.
        SeedProduct {
            mode: "test",
            kind: ProductKind::TopUp,
            name: "Pro for 3 months",
            description: "Three months of Pro, paid once, no renewal.",
            metadata: json!({ "accountType": "Pro", "interval": "3" }),
            prices: vec![price("usd", 7500, None)],
        },
        // Seed 001's event ticket, with a limited number of seats.
        SeedProduct {
            mode: "test",
            kind: ProductKind::OneTime,
            name: "Launch meetup ticket",
            description: "One seat at the Paydesk launch meetup.",
            metadata: json!({ "capacity": "100" }),
            prices: vec![price("usd", 2500, None)],
        },
    ];
    for product in &products {
        insert_product_if_absent(pool, product)
            .await
            .with_context(|| format!("seed demo product {}", product.name))?;
    }
    // The seller block of the demo's invoices, unless an admin already filled it in.
    let profile = app::server::db::invoices::profile(pool)
        .await
        .context("read invoice profile")?;
    if profile.name.is_empty() {
        app::server::db::invoices::save_profile(
            pool,
            &app::server::db::invoices::ProfileRow {
                name: "Paydesk Demo GmbH".into(),
                email: "billing@paydesk.test".into(),
                address: "Friedrichstraße 68\n10117 Berlin\nGermany".into(),
                tax_id: "DE123456789".into(),
                logo_png: None,
            },
            false,
        )
        .await
        .context("seed invoice profile")?;
    }
    Ok(())
}

/// The demo's master key, made once and kept beside its data (readable by the owner only).
fn demo_master_key(data_dir: &Path) -> Result<MasterKey> {
    let encoded =
        demo_stripe::kept_secret(&data_dir.join("master.key"), MasterKey::generate_base64)?;
    Ok(MasterKey::parse_base64(&encoded)?)
}
