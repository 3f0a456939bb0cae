use anyhow::{Context, Result};
use app::model::{EmailAddress, Password};
use clap::{Parser, Subcommand};
use paydesk::config::Config;
use paydesk::startup::{self, Application};
use paydesk::{chores, demo, demo_seed, telemetry};
use secrecy::ExposeSecret;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "paydesk", about = "Self-hostable Stripe billing desk", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the app (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Run only the Stripe event worker (any number may run beside the servers).
    Worker,
    /// Run the demo: a private Postgres under --data-dir unless DATABASE_URL is set, demo
    /// accounts and plans.
    #[command(args_conflicts_with_subcommands = true)]
    Demo {
        #[command(subcommand)]
        command: Option<DemoCommand>,
        #[arg(long, default_value = ".paydesk")]
        data_dir: PathBuf,
        /// Where the built-in Stripe emulator listens (any free port if this one is taken).
        #[arg(long, default_value = "127.0.0.1:12111")]
        emulator_addr: SocketAddr,
    },
    /// Stored secrets.
    Secrets {
        #[command(subcommand)]
        command: SecretsCommand,
    },
    /// Talk to the configured Stripe account.
    Stripe {
        #[command(subcommand)]
        command: StripeCommand,
    },
    /// The Stripe event inbox.
    Events {
        #[command(subcommand)]
        command: EventsCommand,
    },
    /// Compare Stripe's subscriptions and invoices with Paydesk's copy and fix any drift.
    Reconcile {
        /// Only report what differs.
        #[arg(long)]
        dry_run: bool,
    },
    /// Manage admin accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum DemoCommand {
    /// Fill DATABASE_URL with seeded members and their billing history, for benchmarks.
    ///
    /// Runs the migrations and the demo's accounts and plans first, then loads members,
    /// customers, cards, subscriptions, invoices, payments and refunds in one transaction, so
    /// an interrupted run leaves nothing behind. A database that already has seeded members is
    /// left as it is (the command says so and succeeds): seed a fresh database for other sizes.
    Seed {
        /// Members, each with a customer and a card; about 80% subscribe.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=demo_seed::MAX_ROWS))]
        members: u64,
        /// Invoices, exactly this many, spread over the subscriptions by their age.
        #[arg(long, value_parser = clap::value_parser!(u64).range(0..=demo_seed::MAX_ROWS))]
        invoices: u64,
        /// The Stripe mode the billing rows belong to.
        #[arg(long, default_value = "test", value_parser = ["test", "live"])]
        mode: String,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an admin, or promote an existing account and set its password.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
    },
}

#[derive(Subcommand)]
enum SecretsCommand {
    /// Re-encrypt stored Stripe secrets from PAYDESK_MASTER_KEY to PAYDESK_NEW_MASTER_KEY.
    Rotate,
}

#[derive(Subcommand)]
enum EventsCommand {
    /// Apply events again.
    Reprocess {
        /// Every event that ran out of attempts (required: say which events).
        #[arg(long, required = true)]
        failed: bool,
    },
}

#[derive(Subcommand)]
enum StripeCommand {
    /// Link every Stripe product and price of the current mode into the catalog.
    Import,
}

#[tokio::main]
async fn main() -> Result<()> {
    telemetry::init();
    let cli = Cli::parse();
    let config = Config::from_env()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            config.require_master_key()?;
            let pool = startup::connect(config.require_database_url()?.expose_secret()).await?;
            startup::migrate(&pool).await?;
            let app = Application::build(&config, pool).await?;
            tracing::info!(addr = %app.local_addr(), "Paydesk is serving");
            app.run_until(startup::shutdown_signal()).await
        }
        Command::Worker => chores::run_worker(&config).await,
        Command::Migrate => {
            let pool = startup::connect(config.require_database_url()?.expose_secret()).await?;
            startup::migrate(&pool).await?;
            println!("Migrations applied.");
            Ok(())
        }
        Command::Demo {
            command: None,
            data_dir,
            emulator_addr,
        } => demo::run(config, &data_dir, emulator_addr).await,
        Command::Demo {
            command:
                Some(DemoCommand::Seed {
                    members,
                    invoices,
                    mode,
                }),
            ..
        } => {
            let size = demo_seed::SeedSize {
                members: i64::try_from(members).context("--members")?,
                invoices: i64::try_from(invoices).context("--invoices")?,
            };
            let pool = demo_seed::connect(config.require_database_url()?.expose_secret()).await?;
            startup::migrate(&pool).await?;
            demo::seed(&pool)
                .await
                .context("seed the demo accounts and plans")?;
            demo_seed::run(&pool, &mode, &size).await
        }
        Command::Secrets {
            command: SecretsCommand::Rotate,
        } => chores::rotate_secrets(&config).await,
        Command::Stripe {
            command: StripeCommand::Import,
        } => chores::stripe_import(&config).await,
        Command::Events {
            command: EventsCommand::Reprocess { failed: _ },
        } => chores::reprocess_failed_events(&config).await,
        Command::Reconcile { dry_run } => chores::reconcile(&config, dry_run).await,
        Command::Admin {
            command: AdminCommand::Create { email, password },
        } => {
            let email = EmailAddress::parse(&email).map_err(anyhow::Error::msg)?;
            let password = Password::parse(password).map_err(anyhow::Error::msg)?;
            let pool = startup::connect(config.require_database_url()?.expose_secret()).await?;
            startup::migrate(&pool).await?;
            let admin = app::server::accounts::create_admin(&pool, &email, &password)
                .await
                .map_err(anyhow::Error::msg)
                .context("create admin")?;
            println!("Admin {} is ready.", admin.email);
            Ok(())
        }
    }
}
