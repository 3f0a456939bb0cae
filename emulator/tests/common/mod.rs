//! Shared test harness: an emulator on port 0, a form-posting client, and a local webhook receiver.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use serde_json::Value;
use stripe_emulator::{EmulatorConfig, Running, WebhookConfig};

/// What a buyer types into the hosted Checkout form: email, `card`, expiry, CVC and a German
/// billing address.
fn buyer_form(card: &str) -> Vec<(&'static str, &str)> {
    vec![
        ("email", "buyer@example.com"),
        ("card_number", card),
        ("card_expiry", "12 / 34"),
        ("card_cvc", "123"),
        ("name", "Ada Buyer"),
        ("line1", "1 Main Street"),
        ("city", "Berlin"),
        ("postal_code", "10115"),
        ("country", "DE"),
    ]
}

pub struct TestEmulator {
    pub running: Running,
    pub http: reqwest::Client,
    pub key: String,
}

pub async fn spawn_emulator() -> TestEmulator {
    spawn_with(EmulatorConfig::default()).await
}

pub async fn spawn_with(mut config: EmulatorConfig) -> TestEmulator {
    config.webhooks = WebhookConfig {
        timeout: Duration::from_secs(2),
        max_attempts: 4,
        initial_backoff: Duration::from_millis(50),
    };
    let key = config.secret_key().to_owned();
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let running = stripe_emulator::spawn(config, addr)
        .await
        .expect("emulator starts");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestEmulator { running, http, key }
}

impl TestEmulator {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.base_url)
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.url(path))
            .bearer_auth(&self.key)
            .form(form)
            .send()
            .await
            .expect("request is sent");
        read(response).await
    }

    pub async fn post_idempotent(
        &self,
        path: &str,
        key: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, Value, bool) {
        let response = self
            .http
            .post(self.url(path))
            .bearer_auth(&self.key)
            .header("Idempotency-Key", key)
            .form(form)
            .send()
            .await
            .expect("request is sent");
        let replayed = response.headers().get("idempotent-replayed").is_some();
        let (status, body) = read(response).await;
        (status, body, replayed)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .get(self.url(path))
            .bearer_auth(&self.key)
            .send()
            .await
            .expect("request is sent");
        read(response).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .delete(self.url(path))
            .bearer_auth(&self.key)
            .send()
            .await
            .expect("request is sent");
        read(response).await
    }

    pub async fn ok_post(&self, path: &str, form: &[(&str, &str)]) -> Value {
        let (status, body) = self.post(path, form).await;
        assert_eq!(status, StatusCode::OK, "POST {path} failed: {body}");
        body
    }

    pub async fn ok_get(&self, path: &str) -> Value {
        let (status, body) = self.get(path).await;
        assert_eq!(status, StatusCode::OK, "GET {path} failed: {body}");
        body
    }

    /// Attaches a card whose every charge fails and makes it the subscription's default, so
    /// its next renewal goes into dunning.
    pub async fn make_card_fail(&self, customer: &str, sub_id: &str) {
        let failing = self
            .ok_post(
                "/v1/payment_methods/pm_card_chargeCustomerFail/attach",
                &[("customer", customer)],
            )
            .await;
        self.ok_post(
            &format!("/v1/subscriptions/{sub_id}"),
            &[("default_payment_method", failing["id"].as_str().unwrap())],
        )
        .await;
    }

    /// A customer whose default payment method is the test card `token` (`pm_card_visa`...);
    /// returns the customer id and the payment method id.
    pub async fn customer_with_card(&self, token: &str) -> (String, String) {
        let customer = self
            .ok_post("/v1/customers", &[("email", "api@example.com")])
            .await;
        let cid = customer["id"].as_str().unwrap().to_owned();
        let pm = self
            .ok_post(
                &format!("/v1/payment_methods/{token}/attach"),
                &[("customer", &cid)],
            )
            .await;
        let pm_id = pm["id"].as_str().unwrap().to_owned();
        self.ok_post(
            &format!("/v1/customers/{cid}"),
            &[("invoice_settings[default_payment_method]", &pm_id)],
        )
        .await;
        (cid, pm_id)
    }

    /// A new test clock frozen at the wall clock's now; returns its id.
    pub async fn test_clock(&self) -> String {
        let now = chrono::Utc::now().timestamp().to_string();
        let clock = self
            .ok_post("/v1/test_helpers/test_clocks", &[("frozen_time", &now)])
            .await;
        clock["id"].as_str().unwrap().to_owned()
    }

    /// A customer living on `clock`; returns its id.
    pub async fn customer_on_clock(&self, clock: &str, email: &str) -> String {
        let customer = self
            .ok_post("/v1/customers", &[("email", email), ("test_clock", clock)])
            .await;
        customer["id"].as_str().unwrap().to_owned()
    }

    /// Subscribes `customer` to `price` through hosted Checkout with 4242; returns the subscription.
    pub async fn subscribe_via_checkout(&self, price: &str, customer: &str) -> Value {
        let session = self
            .subscription_session(price, &[("customer", customer)])
            .await;
        self.pay_hosted(&session, "4242424242424242", &[]).await;
        self.ok_get(&format!("/v1/subscriptions?customer={customer}"))
            .await["data"][0]
            .clone()
    }

    /// Moves a test clock forward by `seconds`; returns the clock.
    pub async fn advance_test_clock(&self, clock: &str, seconds: i64) -> Value {
        let current = self
            .ok_get(&format!("/v1/test_helpers/test_clocks/{clock}"))
            .await["frozen_time"]
            .as_i64()
            .unwrap();
        self.advance_test_clock_to(clock, current + seconds).await
    }

    /// Moves a test clock to the timestamp `at` (a period end, a day past it); returns the clock.
    pub async fn advance_test_clock_to(&self, clock: &str, at: i64) -> Value {
        self.ok_post(
            &format!("/v1/test_helpers/test_clocks/{clock}/advance"),
            &[("frozen_time", &at.to_string())],
        )
        .await
    }

    /// `GET {collection}/{id}` for an id read off another object (`pi["latest_charge"]`).
    pub async fn ok_get_id(&self, collection: &str, id: &Value) -> Value {
        self.ok_get(&format!("{collection}/{}", id.as_str().unwrap()))
            .await
    }

    /// The invoice a subscription or session points at as its latest.
    pub async fn invoice(&self, id: &Value) -> Value {
        self.ok_get_id("/v1/invoices", id).await
    }

    /// A hosted page's HTML, as a browser would fetch it.
    pub async fn page_text(&self, url: &str) -> String {
        self.http
            .get(url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn control(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(self.url(&format!("/_emulator{path}")))
            .json(&body)
            .send()
            .await
            .expect("sent");
        assert!(
            response.status().is_success(),
            "control {path}: {}",
            response.status()
        );
        response.json().await.expect("json")
    }

    /// A product with a monthly price of `amount` in `currency`; returns the price id.
    pub async fn monthly_price(&self, amount: i64, currency: &str) -> String {
        let product = self.ok_post("/v1/products", &[("name", "Pro")]).await;
        let amount = amount.to_string();
        let price = self
            .ok_post(
                "/v1/prices",
                &[
                    ("product", product["id"].as_str().unwrap()),
                    ("currency", currency),
                    ("unit_amount", &amount),
                    ("recurring[interval]", "month"),
                ],
            )
            .await;
        price["id"].as_str().unwrap().to_owned()
    }

    /// Opens a subscription Checkout session for `price` and returns it.
    pub async fn subscription_session(&self, price: &str, extra: &[(&str, &str)]) -> Value {
        let mut form = vec![
            ("mode", "subscription"),
            ("line_items[0][price]", price),
            ("line_items[0][quantity]", "1"),
            (
                "success_url",
                "https://paydesk.test/success?session_id={CHECKOUT_SESSION_ID}",
            ),
            ("cancel_url", "https://paydesk.test/cancel"),
        ];
        form.extend_from_slice(extra);
        self.ok_post("/v1/checkout/sessions", &form).await
    }

    /// Posts the hosted Checkout form, as a browser would after the buyer typed into it.
    pub async fn pay_hosted(
        &self,
        session: &Value,
        card: &str,
        extra: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut form = buyer_form(card);
        form.extend_from_slice(extra);
        self.post_hosted(session["url"].as_str().unwrap(), &form)
            .await
    }

    /// Answers the 3-D Secure challenge of a session's hosted page with `action` (`complete` or
    /// `fail`), resubmitting the buyer's form as the challenge page does.
    pub async fn authenticate_hosted(
        &self,
        session: &Value,
        card: &str,
        action: &str,
    ) -> reqwest::Response {
        let mut form = buyer_form(card);
        form.push(("action", action));
        let url = format!("{}/authenticate", session["url"].as_str().unwrap());
        self.post_hosted(&url, &form).await
    }

    async fn post_hosted(&self, url: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(url)
            .form(form)
            .send()
            .await
            .expect("form is posted")
    }

    pub async fn event_types(&self) -> Vec<String> {
        let events = self.ok_get("/v1/events?limit=100").await;
        let mut types: Vec<String> = events["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_owned())
            .collect();
        types.reverse();
        types
    }
}

async fn read(response: reqwest::Response) -> (StatusCode, Value) {
    let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

/// One request the webhook receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub signature: String,
    pub body: String,
}

/// A local endpoint that records what it receives and fails the first `fail_first` requests.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
    fail_remaining: Arc<Mutex<usize>>,
}

impl Receiver {
    pub async fn start(fail_first: usize) -> Receiver {
        let received = Arc::new(Mutex::new(Vec::new()));
        let fail_remaining = Arc::new(Mutex::new(fail_first));
        let state = (received.clone(), fail_remaining.clone());
        let app = Router::new()
            .route("/webhook", post(record))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/webhook", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver {
            url,
            received,
            fail_remaining,
        }
    }

    pub fn all(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    pub fn events(&self) -> Vec<Value> {
        self.all()
            .iter()
            .map(|r| serde_json::from_str(&r.body).unwrap())
            .collect()
    }

    /// Waits until an event of `event_type` has arrived (successfully acknowledged or not).
    pub async fn wait_for(&self, event_type: &str) -> Value {
        for _ in 0..200 {
            if let Some(e) = self.events().into_iter().find(|e| e["type"] == event_type) {
                return e;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!(
            "no {event_type} event arrived; got {:?}",
            self.events()
                .iter()
                .map(|e| e["type"].clone())
                .collect::<Vec<_>>()
        );
    }
}

type ReceiverState = (Arc<Mutex<Vec<Received>>>, Arc<Mutex<usize>>);

async fn record(
    State((received, fail)): State<ReceiverState>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    received.lock().unwrap().push(Received {
        signature,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let mut remaining = fail.lock().unwrap();
    if *remaining > 0 {
        *remaining -= 1;
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    StatusCode::OK
}
