//! The audit log as the console lists it.

use super::{AppError, Cursor};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub actor_email: String,
    pub action: String,
    pub target: String,
    /// What changed, a line per field (`name: Acme → Acme GmbH`); never a secret.
    pub details: String,
    pub created_at: DateTime<Utc>,
}

/// The audit log's filters; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    /// An action or its start: `payment.`, `settings.stripe.updated`.
    pub action: String,
    /// Part of the actor's email.
    pub actor: String,
    /// An exact target id.
    pub target: String,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub after: Option<String>,
}

impl AuditQuery {
    pub fn validate(&self) -> Result<(), AppError> {
        for (field, value) in [
            ("action", &self.action),
            ("actor", &self.actor),
            ("target", &self.target),
        ] {
            if value.chars().count() > 200 {
                return Err(AppError::validation(field, "That search is too long."));
            }
        }
        if let (Some(from), Some(to)) = (self.from, self.to) {
            if from > to {
                return Err(AppError::validation(
                    "to",
                    "The end date is before the start date.",
                ));
            }
        }
        self.cursor().map(drop)
    }

    /// Where the page starts: the last entry's time and id.
    pub fn cursor(&self) -> Result<Option<(DateTime<Utc>, i64)>, AppError> {
        let Some(after) = &self.after else {
            return Ok(None);
        };
        let cursor = Cursor::decode(after)?;
        let id = cursor
            .id
            .parse()
            .map_err(|_| AppError::validation("after", "That page link is not valid."))?;
        Ok(Some((cursor.created, id)))
    }
}
