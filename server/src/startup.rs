//! Builds the axum app: leptos pages and server functions, plain routes, sessions, and the
//! middleware every request passes through.

use crate::config::Config;
use crate::headers::{add_security_headers, HeaderPolicy};
use crate::health::healthz;
use crate::origin::{refuse_cross_origin, OriginPolicy};
use anyhow::{Context, Result};
use app::server::billing::receipts::Mailer;
use app::server::crypto::SecretCipher;
use app::server::webhooks::inbox::InboxWriter;
use app::server::webhooks::SecretCache;
use app::server::AppState;
use app::{shell, App};
use axum::body::Body;
use axum::extract::{FromRef, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::future::Future;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

/// Server functions take small form bodies; anything bigger is refused before it is read.
const SERVER_FN_BODY_LIMIT: usize = 64 * 1024;

/// Connections of the main pool per process.
pub const MAIN_POOL_CONNECTIONS: u32 = 16;

/// The webhook's pool opens its connections like the main one, but holds one per inbox writer
/// and one for reading the signing secrets.
fn webhook_pool(main: &PgPool) -> PgPool {
    PgPoolOptions::new()
        .max_connections(app::server::webhooks::inbox::WRITERS as u32 + 1)
        .acquire_timeout(Duration::from_secs(3))
        .connect_lazy_with((*main.connect_options()).clone())
}

#[derive(Clone, Debug)]
pub struct ServerState {
    pub leptos_options: LeptosOptions,
    pub app: AppState,
    /// Rung by the webhook after it stores an event, so the worker starts at once.
    pub events_ready: Arc<Notify>,
    pub webhook_secrets: Arc<SecretCache>,
    /// Group-commit writer for webhook deliveries.
    pub inbox: InboxWriter,
    /// The webhook's own few connections (the inbox writers' and the secret reads'), so a
    /// flood of page or sign-in requests that takes every connection of the main pool never
    /// makes Stripe's deliveries wait for one.
    pub webhook_pool: PgPool,
}

impl FromRef<ServerState> for LeptosOptions {
    fn from_ref(state: &ServerState) -> Self {
        state.leptos_options.clone()
    }
}

pub async fn connect(database_url: &str) -> Result<PgPool> {
    let options = PgConnectOptions::from_str(database_url)
        .context("read DATABASE_URL")?
        // Paydesk's queries are short index walks; the planner costs a paged list by the whole
        // table it could read, so JIT would compile (~350 ms) for a query that takes 5 ms.
        .options([("jit", "off")]);
    PgPoolOptions::new()
        // Pages, server functions, the worker and the REST API; webhooks have their own
        // (`webhook_pool`). Postgres allows 100 by default: room for several processes.
        .max_connections(MAIN_POOL_CONNECTIONS)
        .acquire_timeout(Duration::from_secs(3))
        .connect_with(options)
        .await
        .context("connect to Postgres")
}

/// Applies Paydesk's migrations and the session store's table.
pub async fn migrate(pool: &PgPool) -> Result<()> {
    sqlx::migrate!("../migrations")
        .run(pool)
        .await
        .context("run migrations")?;
    PostgresStore::new(pool.clone())
        .migrate()
        .await
        .context("create session table")
}

/// What server functions, the webhook and the worker share.
pub fn app_state(config: &Config, pool: PgPool) -> Result<AppState> {
    Ok(AppState {
        pool,
        cipher: SecretCipher::new(config.require_master_key()?.bytes()),
        stripe_env: Arc::new(config.stripe.clone()),
        public_url: Arc::from(config.public_url.as_str()),
        access: config.access,
        limits: config.limits,
    })
}

pub struct Application {
    listener: TcpListener,
    state: AppState,
    events_ready: Arc<Notify>,
    event_workers: usize,
    smtp: Option<app::server::billing::receipts::SmtpConfig>,
    router: Router,
    sessions: PostgresStore,
}

impl Application {
    pub async fn build(config: &Config, pool: PgPool) -> Result<Self> {
        let listener = TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("listen on {}", config.addr))?;
        let addr = listener.local_addr()?;
        let leptos_options = LeptosOptions::builder()
            .output_name("paydesk")
            .site_root(config.site_root.as_str())
            .site_pkg_dir("pkg")
            .site_addr(addr)
            .build();
        let webhook_pool = webhook_pool(&pool);
        let state = ServerState {
            leptos_options,
            app: app_state(config, pool.clone())?,
            events_ready: Arc::new(Notify::new()),
            webhook_secrets: Arc::new(SecretCache::default()),
            inbox: InboxWriter::start(webhook_pool.clone()),
            webhook_pool,
        };
        let sessions = PostgresStore::new(pool);
        let app_state = state.app.clone();
        let events_ready = state.events_ready.clone();
        let router = router(state, sessions.clone(), config);
        Ok(Self {
            listener,
            state: app_state,
            events_ready,
            event_workers: config.event_workers,
            smtp: config.smtp.clone(),
            router,
            sessions,
        })
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight. The event
    /// worker runs beside the server; a batch cut short rolls back and is taken again.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        let cleanup = tokio::spawn(delete_expired_sessions(self.sessions));
        let pruning = tokio::spawn(prune_rate_limits(self.state.pool.clone()));
        let worker = (self.event_workers > 0).then(|| {
            tokio::spawn(crate::worker::run_many(
                self.state.clone(),
                self.events_ready,
                self.event_workers,
            ))
        });
        let mailer = match self.smtp.as_ref().map(Mailer::new).transpose() {
            Ok(mailer) => mailer.map(|m| tokio::spawn(m.run(self.state.clone()))),
            Err(e) => return Err(e.context("start the receipt mailer")),
        };
        let served = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        cleanup.abort();
        pruning.abort();
        for task in [worker, mailer].into_iter().flatten() {
            task.abort();
        }
        served.context("serve HTTP")
    }
}

fn router(state: ServerState, sessions: PostgresStore, config: &Config) -> Router {
    let routes = generate_route_list(App);
    let context = {
        let app = state.app.clone();
        move || provide_context(app.clone())
    };
    let https = config.public_url.starts_with("https://");
    let session_layer = SessionManagerLayer::new(sessions)
        // Under https the `__Host-` prefix makes browsers refuse the cookie unless it is
        // Secure, for the whole host and set by it: a sibling subdomain cannot plant one.
        .with_name(if https {
            "__Host-paydesk_session"
        } else {
            "paydesk_session"
        })
        .with_path("/")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(https)
        .with_expiry(Expiry::OnInactivity(
            tower_sessions::cookie::time::Duration::days(7),
        ));
    let origin_policy = Arc::new(OriginPolicy {
        public_origin: config.public_origin(),
    });

    // Machine endpoints: no session, no origin check, no server-function body cap. Stripe's
    // deliveries never carry a cookie, and skipping those layers is most of their overhead.
    let mut machines = Router::new()
        .route("/healthz", get(healthz))
        .route(
            crate::headers::CSP_REPORT_PATH,
            post(crate::headers::csp_report),
        )
        .route(crate::webhook::WEBHOOK_PATH, post(crate::webhook::receive));
    for alias in &config.webhook_aliases {
        machines = machines.route(alias, post(crate::webhook::receive));
    }
    // The REST API authenticates by token, never by cookie: it sits with the machines.
    let machines = machines.merge(crate::rest::router());
    let pages = Router::new()
        .route(crate::invoices::PDF_PATH, get(crate::invoices::download))
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            ServerState,
            _,
        >(context, shell))
        .layer(session_layer)
        .layer(axum::middleware::from_fn(limit_server_fn_bodies))
        .layer(axum::middleware::from_fn_with_state(
            origin_policy,
            refuse_cross_origin,
        ));
    machines
        .merge(pages)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(HeaderPolicy { https }),
            add_security_headers,
        ))
        // A panic anywhere answers 500 instead of dropping the connection; the panic is still
        // logged (`panicked at`), and the end-to-end run fails when the log has one.
        .layer(CatchPanicLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// leptos_axum mounts each server function under `/rpc/` itself, so the cap on their bodies is
/// applied here, before any of them reads one.
async fn limit_server_fn_bodies(request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with("/rpc/") {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, SERVER_FN_BODY_LIMIT).await {
        // Postgres text cannot hold NUL, so a NUL in any field would fail its query deep
        // inside; it is refused here, once for every server function, before anything runs.
        Ok(bytes) if has_encoded_nul(&bytes) => (
            StatusCode::BAD_REQUEST,
            "Text may not contain NUL characters.",
        )
            .into_response(),
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(_) => (StatusCode::PAYLOAD_TOO_LARGE, "Request body too large.").into_response(),
    }
}

/// A form body carrying `%00`, or a JSON body carrying `\u0000`.
pub(crate) fn has_encoded_nul(body: &[u8]) -> bool {
    body.windows(3).any(|w| w.eq_ignore_ascii_case(b"%00"))
        || body.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000"))
}

async fn delete_expired_sessions(store: PostgresStore) {
    use tower_sessions::ExpiredDeletion;
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        if let Err(e) = store.delete_expired().await {
            tracing::warn!(error = %e, "could not delete expired sessions");
        }
    }
}

/// Forgets abuse-limit counters nobody has touched for a day. Every process prunes; the
/// statement is idempotent, so several doing it at once only repeat each other.
async fn prune_rate_limits(pool: PgPool) {
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        match app::server::limits::prune(&pool, chrono::Utc::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(rows = n, "pruned idle rate-limit counters"),
            Err(e) => tracing::warn!(error = %e, "could not prune rate-limit counters"),
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
