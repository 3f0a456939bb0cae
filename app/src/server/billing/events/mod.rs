//! The event worker: takes due events from the inbox, applies them, records how it went.
//!
//! Written by hand rather than with a job crate because the inbox is also the audit trail the
//! console shows (type, object, attempts, errors, timing) and the webhook endpoint's
//! deduplication: one table with a unique event id serves all three.
//!
//! A batch is one transaction. Every object it will touch (the event's object, its customer,
//! a refund's payment) is locked up front, in one global order, with transaction-scoped
//! advisory locks: workers in any number of processes serialise per object and can never wait
//! on each other in a cycle. Each event runs in a savepoint, so one failure does not undo the
//! batch; a failed event is retried with backoff and given up after [`MAX_ATTEMPTS`].

pub mod apply;
pub mod objects;
pub mod order;
pub mod reconcile;

use crate::model::{AppError, StripeMode};
use crate::server::billing::settings::SettingsContext;
use crate::server::db;
use crate::server::db::audit::{self, Actor};
use crate::server::error::OrInternal;
use crate::server::stripe::StripeApi;
use apply::{apply_event, Outcome};
use objects::text;
use serde_json::Value;
use sqlx::{Acquire, PgPool};
use std::time::Instant;

/// After this many failed attempts an event is `failed` and waits for an admin's replay.
pub const MAX_ATTEMPTS: i32 = 8;
/// Events taken per transaction.
pub const BATCH_SIZE: i64 = 200;

/// An inbox row as the worker needs it.
#[derive(Debug, Clone)]
pub struct InboxEvent {
    pub id: String,
    pub mode: String,
    pub type_: String,
    /// Stripe's `created`, unix seconds.
    pub created: i64,
    pub payload: Value,
    pub attempts: i32,
}

impl InboxEvent {
    /// The objects applying this event writes to: locked before any event of a batch runs.
    fn lock_keys(&self) -> impl Iterator<Item = String> + '_ {
        let object = &self.payload["data"]["object"];
        [
            &object["id"],
            &object["customer"],
            &object["payment_intent"],
        ]
        .into_iter()
        .filter_map(text)
        .map(|id| format!("{}:{id}", self.mode))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("{0}")]
    Malformed(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Stripe(String),
}

impl ApplyError {
    pub fn malformed(what: impl Into<String>) -> Self {
        Self::Malformed(what.into())
    }
}

/// Stripe as the worker reaches it when an event alone cannot say what is current. A client
/// per mode is made on first use, so batches that need no fetch never read the keys.
pub struct LiveStripe<'a> {
    settings: SettingsContext<'a>,
    clients: Vec<(String, StripeApi)>,
}

impl<'a> LiveStripe<'a> {
    pub fn new(settings: SettingsContext<'a>) -> Self {
        Self {
            settings,
            clients: Vec::new(),
        }
    }

    pub async fn fetch(&mut self, mode: &str, path: &str) -> Result<Value, ApplyError> {
        let api = match self.clients.iter().find(|(m, _)| m == mode) {
            Some((_, api)) => api,
            None => {
                let parsed = StripeMode::parse(mode)
                    .ok_or_else(|| ApplyError::malformed(format!("unknown mode {mode}")))?;
                let api = self
                    .settings
                    .stripe_for(parsed)
                    .await
                    .map_err(|e| ApplyError::Stripe(e.to_string()))?;
                self.clients.push((mode.to_owned(), api));
                &self.clients[self.clients.len() - 1].1
            }
        };
        api.get_object(path)
            .await
            .map_err(|e| ApplyError::Stripe(e.to_string()))
    }
}

/// How one event's attempt ended, as the inbox records it.
pub struct Finished {
    pub id: String,
    pub status: &'static str,
    pub last_error: Option<String>,
    pub processing_ms: i32,
    /// For a retry: seconds until the next attempt.
    pub retry_in: f64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchReport {
    pub processed: usize,
    pub ignored: usize,
    pub retrying: usize,
    pub failed: usize,
}

impl BatchReport {
    pub fn total(&self) -> usize {
        self.processed + self.ignored + self.retrying + self.failed
    }
}

/// Seconds before attempt `attempts + 1`: 10 s, 20 s, 40 s... capped at an hour.
pub fn backoff_seconds(attempts: i32) -> f64 {
    let exponent = attempts.clamp(0, 12);
    (5.0 * f64::from(1_u32 << exponent)).min(3600.0)
}

/// Takes up to `limit` due events, applies them in one transaction, records each outcome.
pub async fn process_due(
    settings: &SettingsContext<'_>,
    limit: i64,
) -> Result<BatchReport, sqlx::Error> {
    let mut tx = settings.pool.begin().await?;
    let mut events = db::events::claim_due(&mut tx, limit).await?;
    if events.is_empty() {
        tx.commit().await?;
        return Ok(BatchReport::default());
    }
    let mut keys: Vec<String> = events.iter().flat_map(InboxEvent::lock_keys).collect();
    db::events::lock_objects(&mut tx, &mut keys).await?;
    // Oldest first, so in-order histories apply without a single fetch.
    events.sort_by_key(|e| e.created);
    let mut live = LiveStripe::new(settings.clone());
    let mut report = BatchReport::default();
    let mut finished = Vec::with_capacity(events.len());
    for event in &events {
        let started = Instant::now();
        let mut savepoint = tx.begin().await?;
        let result = apply_event(&mut savepoint, &mut live, event).await;
        let (status, last_error, retry_in) = match result {
            Ok(outcome) => {
                savepoint.commit().await?;
                match outcome {
                    Outcome::Ignored(why) => {
                        report.ignored += 1;
                        ("ignored", Some(why.to_owned()), 0.0)
                    }
                    Outcome::Applied | Outcome::Kept => {
                        report.processed += 1;
                        ("processed", None, 0.0)
                    }
                }
            }
            Err(e) => {
                savepoint.rollback().await?;
                tracing::warn!(event = %event.id, error = %e, "stripe event not applied");
                if event.attempts + 1 >= MAX_ATTEMPTS {
                    report.failed += 1;
                    ("failed", Some(e.to_string()), 0.0)
                } else {
                    report.retrying += 1;
                    (
                        "pending",
                        Some(e.to_string()),
                        backoff_seconds(event.attempts + 1),
                    )
                }
            }
        };
        finished.push(Finished {
            id: event.id.clone(),
            status,
            last_error,
            processing_ms: i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX),
            retry_in,
        });
    }
    db::events::finish(&mut tx, &finished).await?;
    tx.commit().await?;
    Ok(report)
}

/// At most this many events per replay.
pub const REPLAY_LIMIT: usize = 500;

/// Queues events to be applied again; returns how many were found. Replaying is safe: an
/// event older than what is stored changes nothing, and purchases and top-ups apply once.
pub async fn replay(pool: &PgPool, actor: &Actor<'_>, ids: &[String]) -> Result<u64, AppError> {
    if ids.is_empty() {
        return Err(AppError::validation("ids", "Choose at least one event."));
    }
    if ids.len() > REPLAY_LIMIT {
        return Err(AppError::validation(
            "ids",
            format!("Replay at most {REPLAY_LIMIT} events at a time."),
        ));
    }
    if let Some(bad) = ids.iter().find(|id| !is_event_id(id)) {
        return Err(AppError::validation(
            "ids",
            format!("'{bad}' is not a Stripe event ID."),
        ));
    }
    let count = db::events::replay(pool, ids)
        .await
        .or_internal("replay stripe events")?;
    audit::record(
        pool,
        actor,
        "events.replayed",
        "stripe_events",
        serde_json::json!({ "events": ids }),
    )
    .await
    .or_internal("audit replay")?;
    Ok(count)
}

pub fn is_event_id(id: &str) -> bool {
    id.len() <= 255
        && id
            .strip_prefix("evt_")
            .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// Works until nothing is due; for the CLI and tests.
pub async fn drain(settings: &SettingsContext<'_>) -> Result<BatchReport, sqlx::Error> {
    let mut total = BatchReport::default();
    loop {
        let batch = process_due(settings, BATCH_SIZE).await?;
        total.processed += batch.processed;
        total.ignored += batch.ignored;
        total.retrying += batch.retrying;
        total.failed += batch.failed;
        if batch.total() == 0 {
            return Ok(total);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_stops_at_an_hour() {
        assert_eq!(backoff_seconds(1), 10.0);
        assert_eq!(backoff_seconds(2), 20.0);
        assert_eq!(backoff_seconds(30), 3600.0);
    }

    #[test]
    fn an_event_locks_its_object_its_customer_and_a_refunds_payment() {
        let event = InboxEvent {
            id: "evt_1".into(),
            mode: "test".into(),
            type_: "charge.refunded".into(),
            created: 1,
            payload: serde_json::json!({"data": {"object": {
                "id": "ch_1", "customer": "cus_1", "payment_intent": "pi_1"}}}),
            attempts: 0,
        };
        let keys: Vec<String> = event.lock_keys().collect();
        assert_eq!(keys, ["test:ch_1", "test:cus_1", "test:pi_1"]);
    }
}
