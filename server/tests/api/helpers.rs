use app::model::{Access, AppError, EmailAddress, Password};
use paydesk::config::Config;
use paydesk::embedded_pg::{Durability, PgCluster};
use paydesk::startup::{self, Application};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sqlx::PgPool;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub const ADMIN_EMAIL: &str = "root@example.com";
pub const PASSWORD: &str = "a-long-enough-password";
/// 32 bytes of 0x2a, base64.
pub const TEST_MASTER_KEY: &str = "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";

/// One cluster per test binary; each test gets its own database in it.
fn cluster() -> &'static PgCluster {
    static CLUSTER: OnceLock<PgCluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("paydesk-test-{}", std::process::id()));
        let cluster = PgCluster::start(&dir, Durability::Throwaway).expect("start Postgres");
        cluster
            .remove_when_process_exits(std::process::id())
            .expect("arrange cluster clean-up");
        cluster
    })
}

pub async fn fresh_database() -> PgPool {
    let pool = empty_database().await;
    startup::migrate(&pool).await.expect("migrate");
    pool
}

/// A new database with no migrations applied, for tests of the migrations themselves.
pub async fn empty_database() -> PgPool {
    let cluster = cluster();
    let name = format!("test_{:016x}", rand::random::<u64>());
    let admin = startup::connect(&cluster.url("postgres"))
        .await
        .expect("connect to maintenance db");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .expect("create test database");
    admin.close().await;
    let pool = startup::connect(&cluster.url(&name))
        .await
        .expect("connect to test db");
    pool
}

pub struct TestApp {
    pub base: String,
    pub pool: PgPool,
    pub client: reqwest::Client,
    pub cookies: Arc<reqwest::cookie::Jar>,
}

pub async fn spawn_app() -> TestApp {
    let pool = fresh_database().await;
    spawn_app_with_pool(pool).await
}

pub async fn spawn_app_with_pool(pool: PgPool) -> TestApp {
    spawn_app_with_env(pool, &[]).await
}

/// An app whose environment also has `env` (e.g. `STRIPE_SECRET_KEY`).
pub async fn spawn_app_with_env(pool: PgPool, env: &[(&str, &str)]) -> TestApp {
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let config = Config::from_lookup(|name| {
        let given = env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        given.or_else(|| match name {
            "PAYDESK_ADDR" => Some("127.0.0.1:0".into()),
            "PAYDESK_PUBLIC_URL" => Some("https://billing.example.com".into()),
            "PAYDESK_MASTER_KEY" => Some(TEST_MASTER_KEY.into()),
            // Tests poll member pages every 100 ms while a webhook is on its way, faster than
            // the default budget of Stripe calls allows; limits.rs tests the budget itself.
            "PAYDESK_MEMBER_STRIPE_CALLS_PER_MINUTE" => Some("6000".into()),
            _ => None,
        })
    })
    .expect("test config");
    let app = Application::build(&config, pool.clone())
        .await
        .expect("build app");
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until(std::future::pending()));
    let cookies = Arc::new(reqwest::cookie::Jar::default());
    TestApp {
        base,
        pool,
        client: client(cookies.clone()),
        cookies,
    }
}

fn client(cookies: Arc<reqwest::cookie::Jar>) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_provider(cookies)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}

/// What a server function answered: the status, and the body parsed as `T` or as `AppError`.
pub struct Answer<T> {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Result<T, AppError>,
    /// The body as sent, for checks that no secret ever leaves the server.
    pub raw: String,
}

impl<T: std::fmt::Debug> Answer<T> {
    /// The successful body, or a panic naming what came back instead.
    pub fn ok(self) -> T {
        match self.body {
            Ok(body) => body,
            Err(e) => panic!("expected success, got {}: {e:?}", self.status),
        }
    }

    pub fn err(self) -> AppError {
        match self.body {
            Err(e) => e,
            Ok(body) => panic!("expected an error, got {}: {body:?}", self.status),
        }
    }
}

impl TestApp {
    /// A second browser: same app, its own cookies.
    pub fn another_visitor(&self) -> TestApp {
        let cookies = Arc::new(reqwest::cookie::Jar::default());
        TestApp {
            base: self.base.clone(),
            pool: self.pool.clone(),
            client: client(cookies.clone()),
            cookies,
        }
    }

    /// Another tab of the same browser: same cookies, so the same session.
    pub fn same_browser(&self) -> TestApp {
        TestApp {
            base: self.base.clone(),
            pool: self.pool.clone(),
            client: self.client.clone(),
            cookies: self.cookies.clone(),
        }
    }

    /// Calls a server function as the app's own forms do: a POST with a urlencoded body.
    pub async fn call<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> Answer<T> {
        self.call_with(endpoint, form, &[]).await
    }

    pub async fn call_with<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        form: &[(&str, &str)],
        headers: &[(&'static str, &'static str)],
    ) -> Answer<T> {
        let mut request = self
            .client
            .post(format!("{}/rpc/{endpoint}", self.base))
            .form(form);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body");
        let body = if status.is_success() {
            Ok(serde_json::from_slice(&bytes)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes))))
        } else {
            Err(serde_json::from_slice(&bytes)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes))))
        };
        Answer {
            status,
            headers,
            body,
            raw: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request")
    }

    pub async fn sign_up(&self, name: &str, email: &str, password: &str) -> Answer<()> {
        self.call(
            "auth/signup",
            &[("name", name), ("email", email), ("password", password)],
        )
        .await
    }

    pub async fn log_in(&self, email: &str, password: &str) -> Answer<()> {
        self.call("auth/login", &[("email", email), ("password", password)])
            .await
    }

    pub async fn create_admin(&self) {
        let email = EmailAddress::parse(ADMIN_EMAIL).expect("email");
        let password = Password::parse(PASSWORD.into()).expect("password");
        app::server::accounts::create_admin(&self.pool, &email, &password)
            .await
            .expect("create admin");
    }

    pub async fn user_count(&self) -> i64 {
        sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM users"#)
            .fetch_one(&self.pool)
            .await
            .expect("count users")
    }
}

/// The variable listing the API bases besides Stripe's that the settings form may choose.
pub const ALLOWED_BASES: &str = "PAYDESK_STRIPE_API_BASES";

/// The Stripe emulator on a free port, accepting its default test key.
pub async fn spawn_emulator() -> stripe_emulator::Running {
    stripe_emulator::spawn(
        stripe_emulator::EmulatorConfig::default(),
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("start the Stripe emulator")
}

/// The settings form's fields, test mode, pointed at `api_base` with `secret_key`.
pub fn settings_form<'a>(api_base: &'a str, secret_key: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("form[enabled]", "true"),
        ("form[mode]", "test"),
        ("form[test_publishable_key]", "pk_test_emulator12345678"),
        ("form[test_secret_key]", secret_key),
        ("form[automatic_tax]", "false"),
        ("form[tax_id_collection]", "false"),
        ("form[use_stripe_invoice_pdf]", "false"),
        ("form[tax_behavior]", "bypass"),
        ("form[api_base]", api_base),
    ]
}

/// The settings form switched to live mode (not enabled: there are no live keys).
pub fn live_mode_form(api_base: &str) -> Vec<(&str, &str)> {
    let mut form = settings_form(api_base, "");
    for field in form.iter_mut() {
        match field.0 {
            "form[mode]" => field.1 = "live",
            "form[enabled]" => field.1 = "false",
            _ => {}
        }
    }
    form
}

/// An app with a signed-in admin whose test mode talks to a fresh emulator.
pub async fn spawn_app_with_stripe() -> (TestApp, stripe_emulator::Running) {
    spawn_app_with_stripe_and_env(&[]).await
}

/// As [`spawn_app_with_stripe`], with `env` added to the app's environment. The emulator's
/// base joins `PAYDESK_STRIPE_API_BASES` (with any bases `env` lists there), since the settings
/// form only accepts bases the environment allows.
pub async fn spawn_app_with_stripe_and_env(
    env: &[(&str, &str)],
) -> (TestApp, stripe_emulator::Running) {
    let emulator = spawn_emulator().await;
    let bases = env
        .iter()
        .filter(|(k, _)| *k == ALLOWED_BASES)
        .map(|(_, v)| *v)
        .chain([emulator.base_url.as_str()])
        .collect::<Vec<_>>()
        .join(",");
    let mut env: Vec<(&str, &str)> = env
        .iter()
        .filter(|(k, _)| *k != ALLOWED_BASES)
        .copied()
        .collect();
    env.push((ALLOWED_BASES, &bases));
    let app = spawn_app_with_env(fresh_database().await, &env).await;
    app.create_admin().await;
    app.log_in(ADMIN_EMAIL, PASSWORD).await.ok();
    let form = settings_form(&emulator.base_url, emulator.emulator.secret_key());
    app.call::<serde_json::Value>("settings/stripe/save", &form)
        .await
        .ok();
    (app, emulator)
}

/// Reads Stripe objects straight from the emulator, as a second opinion on what Paydesk did.
pub async fn stripe_get(emulator: &stripe_emulator::Running, path: &str) -> serde_json::Value {
    stripe_send(
        emulator,
        reqwest::Client::new().get(format!("{}{path}", emulator.base_url)),
    )
    .await
}

pub async fn stripe_post(
    emulator: &stripe_emulator::Running,
    path: &str,
    form: &[(&str, &str)],
) -> serde_json::Value {
    let request = reqwest::Client::new()
        .post(format!("{}{path}", emulator.base_url))
        .form(form);
    stripe_send(emulator, request).await
}

pub async fn stripe_delete(emulator: &stripe_emulator::Running, path: &str) -> serde_json::Value {
    stripe_send(
        emulator,
        reqwest::Client::new().delete(format!("{}{path}", emulator.base_url)),
    )
    .await
}

async fn stripe_send(
    emulator: &stripe_emulator::Running,
    request: reqwest::RequestBuilder,
) -> serde_json::Value {
    request
        .bearer_auth(emulator.emulator.secret_key())
        .send()
        .await
        .expect("emulator request")
        .json()
        .await
        .expect("emulator json")
}

/// POSTs every `(body, Stripe-Signature)` to the app's webhook at once; returns the statuses.
pub async fn deliver_concurrently(
    app: &TestApp,
    deliveries: Vec<(String, String)>,
) -> Vec<StatusCode> {
    let mut tasks = tokio::task::JoinSet::new();
    for (body, signature) in deliveries {
        let (client, url) = (
            app.client.clone(),
            format!("{}/api/stripe/webhook", app.base),
        );
        tasks.spawn(async move {
            client
                .post(url)
                .header("content-type", "application/json")
                .header("stripe-signature", signature)
                .body(body)
                .send()
                .await
                .expect("deliver")
                .status()
        });
    }
    tasks.join_all().await
}

/// Registers the test app's endpoint with the emulator and saves its secret, so every event
/// flows in signed. (The console's button registers PAYDESK_PUBLIC_URL, which tests fake.)
pub async fn register_webhook(app: &TestApp, emulator: &stripe_emulator::Running) {
    let endpoint = stripe_post(
        emulator,
        "/v1/webhook_endpoints",
        &[
            ("url", &format!("{}/api/stripe/webhook", app.base)),
            ("enabled_events[]", "*"),
        ],
    )
    .await;
    let mut form = crate::helpers::settings_form(&emulator.base_url, "");
    form.push((
        "form[test_webhook_secret]",
        endpoint["secret"].as_str().expect("secret"),
    ));
    app.call::<Value>("settings/stripe/save", &form).await.ok();
}

/// Polls `check` until it holds, for up to 20 s.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Polls `find` until it finds something, for up to 20 s, and returns it.
pub async fn eventually_some<T, F, Fut>(what: &str, mut find: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..200 {
        if let Some(found) = find().await {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Signs up a member on their own session; returns the session and the member's id.
pub async fn sign_up_member(app: &TestApp, email: &str) -> (TestApp, String) {
    let member = app.another_visitor();
    member.sign_up("Mia Member", email, PASSWORD).await.ok();
    let id: String = sqlx::query_scalar("SELECT id::text FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.pool)
        .await
        .expect("member id");
    (member, id)
}

/// A product with one monthly price in the emulator, imported into Paydesk's catalog.
pub async fn plan_in_catalog(
    app: &TestApp,
    emulator: &stripe_emulator::Running,
    metadata: &[(&str, &str)],
) -> String {
    let mut form = vec![("name", "Pro")];
    form.extend_from_slice(metadata);
    let product = stripe_post(emulator, "/v1/products", &form).await;
    let price = stripe_post(
        emulator,
        "/v1/prices",
        &[
            ("product", product["id"].as_str().expect("product id")),
            ("currency", "eur"),
            ("unit_amount", "1900"),
            ("recurring[interval]", "month"),
        ],
    )
    .await;
    app.call::<Value>("catalog/import", &[]).await.ok();
    price["id"].as_str().expect("price id").to_owned()
}

/// Completes a hosted Checkout as a buyer's browser would.
pub async fn pay_checkout(session: &Value, card: &str) {
    let form = [
        ("email", "buyer@example.com"),
        ("card_number", card),
        ("card_expiry", "12 / 34"),
        ("card_cvc", "123"),
        ("name", "Ada Buyer"),
        ("line1", "1 Main Street"),
        ("city", "Berlin"),
        ("postal_code", "10115"),
        ("country", "DE"),
    ];
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(session["url"].as_str().expect("hosted url"))
        .form(&form)
        .send()
        .await
        .expect("pay");
    assert!(response.status().is_success() || response.status().is_redirection());
}

/// Attaches the always-succeeding test card and makes it the customer's default.
pub async fn give_default_card(emulator: &stripe_emulator::Running, customer: &str) {
    let pm = stripe_post(
        emulator,
        "/v1/payment_methods/pm_card_visa/attach",
        &[("customer", customer)],
    )
    .await;
    stripe_post(
        emulator,
        &format!("/v1/customers/{customer}"),
        &[(
            "invoice_settings[default_payment_method]",
            pm["id"].as_str().expect("pm"),
        )],
    )
    .await;
}

/// Makes a card whose every charge fails the subscription's default, so its next renewal
/// goes into dunning.
pub async fn make_card_fail(emulator: &stripe_emulator::Running, customer: &str, sub_id: &str) {
    let failing = stripe_post(
        emulator,
        "/v1/payment_methods/pm_card_chargeCustomerFail/attach",
        &[("customer", customer)],
    )
    .await;
    stripe_post(
        emulator,
        &format!("/v1/subscriptions/{sub_id}"),
        &[(
            "default_payment_method",
            failing["id"].as_str().expect("pm"),
        )],
    )
    .await;
}

pub async fn member_access(member: &TestApp) -> Access {
    let overview: Value = member.call("billing/overview", &[]).await.ok();
    serde_json::from_value(overview["access"].clone()).expect("access")
}

/// A local SMTP sink: accepts every message and keeps it whole (headers and MIME parts).
pub struct SmtpSink {
    pub url: String,
    pub messages: Arc<std::sync::Mutex<Vec<String>>>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind SMTP sink");
        let url = format!("smtp://{}", listener.local_addr().expect("addr"));
        let messages = Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = messages.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(smtp_session(socket, kept.clone()));
            }
        });
        Self { url, messages }
    }

    pub fn messages(&self) -> Vec<String> {
        self.messages.lock().expect("sink lock").clone()
    }
}

/// Just enough of RFC 5321 for one client: greet, accept every command, keep DATA.
async fn smtp_session(socket: tokio::net::TcpStream, messages: Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    let _ = write.write_all(b"220 sink ESMTP\r\n").await;
    while let Ok(Some(line)) = lines.next_line().await {
        let command = line.to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO") {
            b"250-sink\r\n250 8BITMIME\r\n"
        } else if command.starts_with("DATA") {
            let _ = write.write_all(b"354 go ahead\r\n").await;
            let mut data = String::new();
            while let Ok(Some(line)) = lines.next_line().await {
                if line == "." {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
                data.push('\n');
            }
            messages.lock().expect("sink lock").push(data);
            b"250 queued\r\n"
        } else if command.starts_with("QUIT") {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else {
            b"250 ok\r\n"
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}

/// Creates an API token through the console as the signed-in admin; returns its secret.
pub async fn api_token(admin: &TestApp, scope: &str, member_email: &str) -> String {
    let created: app::model::CreatedApiToken = admin
        .call(
            "admin/api-tokens/create",
            &[
                ("form[name]", "test token"),
                ("form[scope]", scope),
                ("form[member_email]", member_email),
            ],
        )
        .await
        .ok();
    created.secret
}
