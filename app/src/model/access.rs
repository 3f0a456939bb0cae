//! What a member may use right now, as derived from their subscriptions and top-ups.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccessStatus {
    Active,
    Trialing,
    /// Canceled at period end: access until then.
    Canceling,
    /// A renewal failed: access with a warning until the grace period ends.
    PastDue,
    /// Paid-until time bought with top-ups.
    TopUp,
    /// Time an admin granted by hand.
    Granted,
    None,
}

/// Something the member must do about an unpaid invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentAction {
    /// `fix_payment`, `authenticate`, or `fix_address` (a renewal waits for a billing address
    /// Stripe Tax recognises).
    pub kind: String,
    /// Stripe's hosted invoice page, where the member pays or authenticates.
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    pub status: AccessStatus,
    /// The plan's product name, or a top-up's account type.
    pub plan: Option<String>,
    /// When access ends or renews: period end, grace end or paid-until.
    pub until: Option<DateTime<Utc>>,
    pub action: Option<PaymentAction>,
}

impl Access {
    pub fn none() -> Self {
        Self {
            status: AccessStatus::None,
            plan: None,
            until: None,
            action: None,
        }
    }

    pub fn has_access(&self) -> bool {
        self.status != AccessStatus::None
    }

    /// One sentence for the member's billing page.
    pub fn describe(&self) -> String {
        let plan = self.plan.as_deref().unwrap_or("Your plan");
        let until = self
            .until
            .map(|t| t.format("%B %-d, %Y").to_string())
            .unwrap_or_default();
        match self.status {
            AccessStatus::Active => format!("{plan} is active and renews on {until}."),
            AccessStatus::Trialing => format!("{plan} is in its free trial until {until}."),
            AccessStatus::Canceling => format!("{plan} is canceled; access continues until {until}."),
            AccessStatus::PastDue => format!(
                "{plan}: the last payment failed. Access continues until {until}; please fix your payment."
            ),
            AccessStatus::TopUp => format!("{plan} account, paid until {until}."),
            AccessStatus::Granted => format!("Access granted until {until}."),
            AccessStatus::None => "You have no subscription yet.".to_owned(),
        }
    }
}
