//! The emulator's whole world, held in memory behind one lock. Objects are stored as the JSON
//! Stripe would return, because that is what every route reads and writes; the few facts Stripe
//! keeps hidden (how a test card behaves, line items, deliveries) live beside them.

use std::collections::{HashMap, HashSet, VecDeque};

use serde::Serialize;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};

/// Objects of one kind, in creation order, addressable by id.
#[derive(Debug, Default)]
pub struct Table {
    order: Vec<String>,
    objects: HashMap<String, Value>,
}

impl Table {
    pub fn insert(&mut self, object: Value) -> Value {
        let id = object["id"].as_str().unwrap_or_default().to_owned();
        if !self.objects.contains_key(&id) {
            self.order.push(id.clone());
        }
        self.objects.insert(id, object.clone());
        object
    }

    pub fn get(&self, id: &str) -> Option<&Value> {
        self.objects.get(id)
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut Value> {
        self.objects.get_mut(id)
    }

    pub fn remove(&mut self, id: &str) -> Option<Value> {
        self.order.retain(|x| x != id);
        self.objects.remove(id)
    }

    /// Newest first, as Stripe lists.
    pub fn newest_first(&self) -> impl Iterator<Item = &Value> {
        self.order
            .iter()
            .rev()
            .filter_map(|id| self.objects.get(id))
    }
}

/// How a test card behaves when charged, decided by its number as Stripe documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CardBehavior {
    Succeeds,
    Declined,
    /// 4000 0000 0000 0341: attaches fine, every later charge fails.
    ChargeFails,
    /// 4000 0025 0000 3155: on-session payments need authentication; off-session renewals after setup succeed.
    RequiresAuthentication,
    /// 4000 0027 6000 3184: every payment needs authentication, off-session renewals included.
    AlwaysAuthenticate,
}

impl CardBehavior {
    pub fn needs_authentication(self) -> bool {
        matches!(
            self,
            Self::RequiresAuthentication | Self::AlwaysAuthenticate
        )
    }
}

impl CardBehavior {
    pub fn from_number(number: &str) -> Option<Self> {
        let digits: String = number
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        match digits.as_str() {
            "4242424242424242" | "5555555555554444" => Some(Self::Succeeds),
            "4000000000000002" | "4000000000009995" => Some(Self::Declined),
            "4000000000000341" => Some(Self::ChargeFails),
            "4000002500003155" => Some(Self::RequiresAuthentication),
            "4000002760003184" => Some(Self::AlwaysAuthenticate),
            _ => None,
        }
    }

    /// Stripe's `pm_card_*` shortcuts usable with the API.
    pub fn from_test_token(token: &str) -> Option<(Self, &'static str)> {
        match token {
            "pm_card_visa" => Some((Self::Succeeds, "4242")),
            "pm_card_mastercard" => Some((Self::Succeeds, "4444")),
            "pm_card_chargeDeclined" | "pm_card_visa_chargeDeclined" => {
                Some((Self::Declined, "0002"))
            }
            "pm_card_chargeCustomerFail" => Some((Self::ChargeFails, "0341")),
            "pm_card_authenticationRequired"
            | "pm_card_authenticationRequiredOnSetup"
            | "pm_card_threeDSecure2Required" => Some((Self::RequiresAuthentication, "3155")),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DeliveryAttempt {
    pub at: i64,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub response_body: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub id: String,
    pub event_id: String,
    pub event_type: String,
    pub endpoint_id: String,
    pub url: String,
    pub delivered: bool,
    pub attempts: Vec<DeliveryAttempt>,
}

#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub request_fingerprint: String,
    pub status: u16,
    pub body: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    RateLimit,
    ServerError,
    /// Answer nothing for a minute, then a 500: for client timeout handling.
    Hang,
}

/// Misbehaviour of the webhook sender, for testing that receivers are idempotent and order-agnostic.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct WebhookFaults {
    /// Deliver every event this many times (0 and 1 both mean once).
    pub duplicates: u32,
    /// Wait this long before the first attempt.
    pub delay_ms: u64,
    /// Randomise each delivery's delay (up to `delay_ms`, at least 200 ms) so events arrive out of order.
    pub shuffle: bool,
}

#[derive(Debug, Default)]
pub struct State {
    pub products: Table,
    pub prices: Table,
    pub customers: Table,
    pub checkout_sessions: Table,
    pub subscriptions: Table,
    pub invoices: Table,
    pub payment_intents: Table,
    pub charges: Table,
    pub refunds: Table,
    pub payment_methods: Table,
    pub setup_intents: Table,
    pub webhook_endpoints: Table,
    pub events: Table,
    pub test_clocks: Table,
    pub tax_ids: Table,
    pub portal_sessions: Table,
    pub coupons: Table,
    pub promotion_codes: Table,
    pub tax_rates: Table,
    pub discounts: Table,
    /// Billing's "if all retries fail" setting: `true` marks the subscription `unpaid` instead of
    /// cancelling it (Stripe's default, and the emulator's).
    pub dunning_marks_unpaid: bool,
    /// Checkout line items are only returned when expanded, so they are kept apart from the session.
    pub session_line_items: HashMap<String, Value>,
    /// `subscription_data[metadata]` of each session, given to the subscription it creates.
    pub subscription_metadata: HashMap<String, Value>,
    /// `subscription_data[trial_period_days]` of each session.
    pub subscription_trials: HashMap<String, i64>,
    pub trial_warnings_sent: HashSet<String>,
    /// Proration lines waiting for a subscription's next invoice.
    pub pending_prorations: HashMap<String, Vec<crate::billing::LineSpec>>,
    pub card_behaviors: HashMap<String, CardBehavior>,
    /// The coupon each discount was made from, as it was then.
    pub discount_coupons: HashMap<String, Value>,
    pub deleted_customers: HashSet<String>,
    pub idempotency: HashMap<(String, String), StoredResponse>,
    pub deliveries: Vec<Delivery>,
    pub faults: VecDeque<Fault>,
    pub webhook_faults: WebhookFaults,
    /// Seconds added to the wall clock for everything not on a test clock.
    pub clock_offset: i64,
    pub tax_enabled: bool,
    /// Set while a buyer completes hosted Checkout: charges then happen on-session, right after
    /// the challenge, so even an always-authenticate card goes through.
    pub buyer_present: bool,
    /// Events emitted by the request in progress; the dispatcher hands them to the webhook worker.
    pub outbox: Vec<Value>,
    /// While a clock advance replays what fell due, the moment being replayed: renewals and
    /// retries then happen (and are timestamped) when they would have, not when the clock stopped.
    pub replay_time: Option<i64>,
}

impl State {
    pub fn new(tax_enabled: bool) -> Self {
        State {
            tax_enabled,
            ..State::default()
        }
    }

    /// The emulator's idea of now for objects not on a test clock.
    pub fn now(&self) -> i64 {
        chrono::Utc::now().timestamp() + self.clock_offset
    }

    /// Now as seen by a customer: their test clock's frozen time if they are on one.
    pub fn now_for_customer(&self, customer_id: Option<&str>) -> i64 {
        if let Some(at) = self.replay_time {
            return at;
        }
        customer_id
            .and_then(|id| self.customers.get(id))
            .and_then(|c| c["test_clock"].as_str())
            .and_then(|clock| self.test_clocks.get(clock))
            .and_then(|clock| clock["frozen_time"].as_i64())
            .unwrap_or_else(|| self.now())
    }

    /// The table that holds ids with this prefix, used by `expand`.
    pub fn table_for_id(&self, id: &str) -> Option<&Table> {
        let prefix = id.split('_').next().unwrap_or_default();
        Some(match prefix {
            "prod" => &self.products,
            "price" => &self.prices,
            "cus" => &self.customers,
            "cs" => &self.checkout_sessions,
            "sub" => &self.subscriptions,
            "in" => &self.invoices,
            "pi" => &self.payment_intents,
            "ch" => &self.charges,
            "re" => &self.refunds,
            "pm" => &self.payment_methods,
            "seti" => &self.setup_intents,
            "we" => &self.webhook_endpoints,
            "evt" => &self.events,
            "clock" => &self.test_clocks,
            "txi" => &self.tax_ids,
            "promo" => &self.promotion_codes,
            "txr" => &self.tax_rates,
            "di" => &self.discounts,
            _ => return None,
        })
    }

    pub fn lookup(&self, id: &str) -> Option<&Value> {
        self.table_for_id(id).and_then(|t| t.get(id))
    }
}

/// Fetches an object or answers Stripe's 404 for it.
pub fn require<'a>(
    table: &'a Table,
    resource: &str,
    id: &str,
    param: &str,
) -> ApiResult<&'a Value> {
    table
        .get(id)
        .ok_or_else(|| ApiError::no_such(resource, id, param))
}

pub fn require_mut<'a>(
    table: &'a mut Table,
    resource: &str,
    id: &str,
    param: &str,
) -> ApiResult<&'a mut Value> {
    table
        .get_mut(id)
        .ok_or_else(|| ApiError::no_such(resource, id, param))
}
