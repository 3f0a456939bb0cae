use tracing_subscriber::EnvFilter;

/// Structured logs to stderr, `RUST_LOG` to tune. Session and SQL internals stay quiet by
/// default: they are where ids and statements would otherwise show up.
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tower_sessions=warn,sqlx=warn,stripe=error"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
