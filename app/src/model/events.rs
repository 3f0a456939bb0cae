//! The Stripe event inbox as the admin console shows it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventSummary {
    pub id: String,
    pub type_: String,
    pub object_id: Option<String>,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    /// How long the last attempt took.
    pub processing_ms: Option<i32>,
    pub created: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub processed_at: Option<DateTime<Utc>>,
}

/// The statuses an inbox row can have, for the filter.
pub const EVENT_STATUSES: [&str; 4] = ["pending", "processed", "failed", "ignored"];

/// One top-level field on which Paydesk's copy of an object and Stripe's differ; values as
/// compact JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDifference {
    pub field: String,
    pub stored: String,
    pub live: String,
}

/// "Compare with Stripe": an event's object as stored next to the live one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectComparison {
    pub object_id: String,
    pub kind: String,
    pub differences: Vec<FieldDifference>,
    /// `None` when Paydesk has no copy yet.
    pub stored: Option<String>,
    pub live: String,
}

/// What `paydesk reconcile` found: the objects whose stored copy differed from Stripe's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcileReport {
    pub checked: usize,
    pub drifted: Vec<(String, Vec<FieldDifference>)>,
    /// Whether Stripe's versions were stored.
    pub fixed: bool,
}
