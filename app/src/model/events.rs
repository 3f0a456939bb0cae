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
    pub created: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub processed_at: Option<DateTime<Utc>>,
}

/// The statuses an inbox row can have, for the filter.
pub const EVENT_STATUSES: [&str; 4] = ["pending", "processed", "failed", "ignored"];
