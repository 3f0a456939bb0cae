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

use crate::model::{AppError, StripeId, StripeMode};
use crate::server::billing::settings::SettingsContext;
use crate::server::db;
use crate::server::db::audit::{self, Actor};
use crate::server::db::stripe_state::StoredObject;
use crate::server::error::OrInternal;
use crate::server::stripe::{StripeApi, StripePath};
use apply::{apply_event, Outcome};
use objects::text;
use serde_json::Value;
use sqlx::{Acquire, PgConnection, PgPool};
use std::collections::HashMap;
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

    /// An ID an event names, checked before it goes into a request path.
    pub fn id(id: &str) -> Result<StripeId, Self> {
        StripeId::parse(id).map_err(|e| Self::malformed(format!("object id: {e}")))
    }
}

/// What applying a batch carries from event to event: Stripe, for when an event alone cannot
/// say what is current, and the stored objects the batch has read or written, so each is
/// read from Postgres at most once. The caller holds every object's lock for the whole batch.
pub struct Applier<'a> {
    pub live: LiveStripe<'a>,
    stored: HashMap<(String, String), Option<StoredObject>>,
}

impl<'a> Applier<'a> {
    pub fn new(settings: SettingsContext<'a>) -> Self {
        Self {
            live: LiveStripe::new(settings),
            stored: HashMap::new(),
        }
    }

    /// Reads the stored state of every object the events carry, in one query.
    pub async fn preload(
        &mut self,
        db: &mut PgConnection,
        events: &[InboxEvent],
    ) -> Result<(), sqlx::Error> {
        let mut wanted: Vec<(String, String)> = events
            .iter()
            .filter_map(|e| Some((e.mode.clone(), text(&e.payload["data"]["object"]["id"])?)))
            .collect();
        wanted.sort();
        wanted.dedup();
        let found = db::stripe_state::stored_objects(db, &wanted).await?;
        for key in wanted {
            let stored = found.get(&key).cloned();
            self.stored.insert(key, stored);
        }
        Ok(())
    }

    pub(crate) async fn stored(
        &mut self,
        db: &mut PgConnection,
        mode: &str,
        id: &str,
    ) -> Result<Option<StoredObject>, sqlx::Error> {
        let key = (mode.to_owned(), id.to_owned());
        if let Some(known) = self.stored.get(&key) {
            return Ok(known.clone());
        }
        let stored = db::stripe_state::stored_object(db, mode, id).await?;
        self.stored.insert(key, stored.clone());
        Ok(stored)
    }

    pub(crate) fn remember(&mut self, mode: &str, id: &str, stored: StoredObject) {
        self.stored
            .insert((mode.to_owned(), id.to_owned()), Some(stored));
    }

    /// Drops what the batch knew of an event's object, after its savepoint was rolled back.
    fn forget(&mut self, event: &InboxEvent) {
        if let Some(id) = text(&event.payload["data"]["object"]["id"]) {
            self.stored.remove(&(event.mode.clone(), id));
        }
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

    pub async fn fetch(&mut self, mode: &str, path: &StripePath) -> Result<Value, ApplyError> {
        self.fetch_with(mode, path, &[]).await
    }

    /// An object with query parameters (`expand[0]`).
    pub async fn fetch_with(
        &mut self,
        mode: &str,
        path: &StripePath,
        query: &[(&str, &str)],
    ) -> Result<Value, ApplyError> {
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
        api.get_with(path, query)
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
///
/// A batch first runs without savepoints (two round trips fewer per event); if any event
/// fails, that attempt is rolled back whole and the batch runs again with a savepoint per
/// event, so only the failing event is retried.
pub async fn process_due(
    settings: &SettingsContext<'_>,
    limit: i64,
) -> Result<BatchReport, sqlx::Error> {
    match run_batch(settings, limit, false).await? {
        Some(report) => Ok(report),
        None => Ok(run_batch(settings, limit, true).await?.unwrap_or_default()),
    }
}

/// One attempt at a batch; `None` when an event failed outside a savepoint and nothing was
/// kept.
async fn run_batch(
    settings: &SettingsContext<'_>,
    limit: i64,
    careful: bool,
) -> Result<Option<BatchReport>, sqlx::Error> {
    let mut tx = settings.pool.begin().await?;
    let mut events = db::events::claim_due(&mut tx, limit).await?;
    if events.is_empty() {
        tx.commit().await?;
        return Ok(Some(BatchReport::default()));
    }
    let mut keys: Vec<String> = events.iter().flat_map(InboxEvent::lock_keys).collect();
    db::events::lock_objects(&mut tx, &mut keys).await?;
    // Oldest first, so in-order histories apply without a single fetch.
    events.sort_by_key(|e| e.created);
    let mut applier = Applier::new(settings.clone());
    applier.preload(&mut tx, &events).await?;
    let mut report = BatchReport::default();
    let mut finished = Vec::with_capacity(events.len());
    for event in &events {
        let started = Instant::now();
        let result = if careful {
            let mut savepoint = tx.begin().await?;
            let result = apply_event(&mut savepoint, &mut applier, event).await;
            if result.is_ok() {
                savepoint.commit().await?;
            } else {
                savepoint.rollback().await?;
                applier.forget(event);
            }
            result
        } else {
            match apply_event(&mut tx, &mut applier, event).await {
                Ok(outcome) => Ok(outcome),
                Err(_) => {
                    // Rolled back here, not on drop: the careful attempt must find the
                    // events unlocked.
                    tx.rollback().await?;
                    return Ok(None);
                }
            }
        };
        let (status, last_error, retry_in) = match result {
            Ok(Outcome::Ignored(why)) => {
                report.ignored += 1;
                ("ignored", Some(why.to_owned()), 0.0)
            }
            Ok(Outcome::Applied | Outcome::Kept) => {
                report.processed += 1;
                ("processed", None, 0.0)
            }
            Err(e) => {
                tracing::warn!(event = %event.id, error = %e, "stripe event not applied");
                if event.attempts + 1 >= MAX_ATTEMPTS {
                    report.failed += 1;
                    ("failed", Some(e.to_string()), 0.0)
                } else {
                    report.retrying += 1;
                    let retry_in = backoff_seconds(event.attempts + 1);
                    ("pending", Some(e.to_string()), retry_in)
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
    Ok(Some(report))
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
