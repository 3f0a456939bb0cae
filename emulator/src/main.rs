//! `stripe-emulator --addr 127.0.0.1:12111`: the emulator as a process.

use std::net::SocketAddr;

use clap::Parser;
use stripe_emulator::{EmulatorConfig, DEFAULT_SECRET_KEY};

#[derive(Parser)]
#[command(about = "A stateful fake of Stripe's API, hosted Checkout and webhooks")]
struct Args {
    #[arg(long, env = "STRIPE_EMULATOR_ADDR", default_value = "127.0.0.1:12111")]
    addr: SocketAddr,
    /// Accepted secret keys (repeat or comma-separate). Defaults to the fixed test key.
    #[arg(
        long = "api-key",
        env = "STRIPE_EMULATOR_API_KEYS",
        value_delimiter = ','
    )]
    api_keys: Vec<String>,
    /// Base URL for links handed out, when the emulator sits behind another address.
    #[arg(long, env = "STRIPE_EMULATOR_PUBLIC_URL")]
    public_url: Option<String>,
    /// Start with the "Stripe Tax" switch off.
    #[arg(long)]
    no_tax: bool,
    /// Answer the control API (`/_emulator/...`) only with one of the API keys.
    #[arg(long)]
    control_needs_key: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let mut config = EmulatorConfig {
        public_url: args.public_url,
        tax_enabled: !args.no_tax,
        control_needs_key: args.control_needs_key,
        ..Default::default()
    };
    if !args.api_keys.is_empty() {
        config.api_keys = args.api_keys;
    }
    if config.secret_key() == DEFAULT_SECRET_KEY {
        tracing::info!(key = DEFAULT_SECRET_KEY, "accepting the default test key");
    }
    stripe_emulator::serve(config, args.addr).await
}
