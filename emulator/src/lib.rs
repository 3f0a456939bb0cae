//! A stateful fake of Stripe: Stripe's HTTP API under `/v1`, a hosted Checkout page, signed
//! webhooks with retries, test clocks, and a control API under `/_emulator`, all in memory.
//!
//! Run it in-process with [`spawn`] (tests, `paydesk demo`) or as the `stripe-emulator` binary.

#![recursion_limit = "256"]

mod allowed;
mod api;
mod billing;
mod config;
mod control;
mod error;
mod events;
mod expand;
mod hosted;
mod ids;
mod list;
mod money;
mod params;
mod resources;
mod state;
mod tax;
mod webhooks;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use axum::routing::{any, get, post};
use axum::Router;
use tokio::sync::mpsc;

pub use config::{EmulatorConfig, WebhookConfig, DEFAULT_SECRET_KEY};
pub use events::API_VERSION;
pub use state::{Delivery, DeliveryAttempt, Fault};
pub use webhooks::sign_payload;

/// A handle on one running emulator's state, for control from the same process.
#[derive(Clone)]
pub struct Emulator {
    inner: Arc<Shared>,
}

struct Shared {
    config: EmulatorConfig,
    state: Mutex<state::State>,
    bound_url: RwLock<Option<String>>,
    outbox: mpsc::UnboundedSender<serde_json::Value>,
}

impl Emulator {
    fn new(config: EmulatorConfig) -> (Self, mpsc::UnboundedReceiver<serde_json::Value>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let state = state::State::new(config.tax_enabled);
        let inner = Shared {
            config,
            state: Mutex::new(state),
            bound_url: RwLock::new(None),
            outbox: tx,
        };
        (
            Emulator {
                inner: Arc::new(inner),
            },
            rx,
        )
    }

    /// A poisoned lock only means a handler panicked mid-request; the state is still usable for a fake.
    fn lock(&self) -> MutexGuard<'_, state::State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn config(&self) -> &EmulatorConfig {
        &self.inner.config
    }

    /// The key a client should use.
    pub fn secret_key(&self) -> &str {
        self.inner.config.secret_key()
    }

    /// Forgets every object, event, delivery and injected fault.
    pub fn reset(&self) {
        let tax = self.inner.config.tax_enabled;
        *self.lock() = state::State::new(tax);
    }

    pub fn set_tax_enabled(&self, enabled: bool) {
        self.lock().tax_enabled = enabled;
    }

    /// Moves the emulator's clock (for objects on no test clock) forward and bills what fell due.
    pub fn advance_clock(&self, seconds: i64) {
        let mut state = self.lock();
        state.clock_offset += seconds.max(0);
        billing::run_due_renewals(&mut state, None, &self.base_url_or_default());
        self.flush(&mut state);
    }

    /// Billing's "when all retries fail" setting: mark the subscription `unpaid` (true) or cancel
    /// it (false, Stripe's default).
    pub fn set_dunning_marks_unpaid(&self, unpaid: bool) {
        self.lock().dunning_marks_unpaid = unpaid;
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        self.lock().deliveries.clone()
    }

    /// Makes the next API calls fail, one per fault, in order.
    pub fn inject_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        self.lock().faults.extend(faults);
    }

    fn base_url(&self, host: Option<&str>) -> String {
        if let Some(url) = &self.inner.config.public_url {
            return url.trim_end_matches('/').to_owned();
        }
        if let Some(url) = self.inner.bound_url.read().ok().and_then(|u| u.clone()) {
            return url;
        }
        match host {
            Some(host) => format!("http://{host}"),
            None => "http://127.0.0.1:12111".to_owned(),
        }
    }

    fn base_url_or_default(&self) -> String {
        self.base_url(None)
    }

    /// Hands the events of the last state change to the webhook worker.
    fn flush(&self, state: &mut state::State) {
        for event in state.outbox.drain(..) {
            // The worker lives as long as the router; a send error only means it is shutting down.
            let _ = self.inner.outbox.send(event);
        }
    }
}

/// Builds the emulator's routes and its handle. Webhook delivery runs on the current Tokio runtime
/// (or on a thread of its own when called outside one).
pub fn router(config: EmulatorConfig) -> (Router, Emulator) {
    let (emulator, outbox) = Emulator::new(config);
    webhooks::start_worker(emulator.clone(), outbox);
    let app = Router::new()
        .route("/v1/{*path}", any(api::handle))
        .route(
            "/c/pay/{session}",
            get(hosted::checkout::show).post(hosted::checkout::pay),
        )
        .route(
            "/c/pay/{session}/authenticate",
            post(hosted::checkout::authenticate),
        )
        .route("/invoices/{id}", get(hosted::invoice::show))
        .route("/p/session/{session}", get(hosted::portal::show))
        .route("/p/session/{session}/{action}", post(hosted::portal::act))
        .nest("/_emulator", control::routes(emulator.clone()))
        .with_state(emulator.clone());
    (app, emulator)
}

/// An emulator listening on a real socket in this process.
pub struct Running {
    pub emulator: Emulator,
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT`, the value for `STRIPE_API_BASE`.
    pub base_url: String,
    pub task: tokio::task::JoinHandle<()>,
}

/// Binds `addr` (port 0 picks a free port) and serves in the background.
pub async fn spawn(config: EmulatorConfig, addr: SocketAddr) -> anyhow::Result<Running> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (app, emulator) = router(config);
    let base_url = format!("http://{addr}");
    if let Ok(mut bound) = emulator.inner.bound_url.write() {
        *bound = Some(base_url.clone());
    }
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(%error, "stripe emulator stopped");
        }
    });
    Ok(Running {
        emulator,
        addr,
        base_url,
        task,
    })
}

/// Serves until the process is stopped; what the binary runs.
pub async fn serve(config: EmulatorConfig, addr: SocketAddr) -> anyhow::Result<()> {
    let running = spawn(config, addr).await?;
    tracing::info!(url = %running.base_url, "stripe emulator listening");
    running.task.await?;
    Ok(())
}
