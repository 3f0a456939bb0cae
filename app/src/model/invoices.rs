//! Invoices, payments and refunds as the member and admin pages list them.

use super::{AppError, Currency, Money};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// How many rows a list page shows.
pub const PAGE_SIZE: i64 = 25;

/// A position in a newest-first list: the last row's time and id. Opaque to the browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub created: DateTime<Utc>,
    pub id: String,
}

impl Cursor {
    /// `"<microseconds>_<id>"`, safe in a query string.
    pub fn encode(&self) -> String {
        format!("{}_{}", self.created.timestamp_micros(), self.id)
    }

    pub fn decode(raw: &str) -> Result<Self, AppError> {
        let bad = || AppError::validation("after", "That page link is not valid.");
        let (micros, id) = raw.split_once('_').ok_or_else(bad)?;
        let created = micros
            .parse()
            .ok()
            .and_then(DateTime::from_timestamp_micros)
            .ok_or_else(bad)?;
        if id.is_empty() || id.len() > 255 {
            return Err(bad());
        }
        Ok(Self {
            created,
            id: id.to_owned(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Where the next page starts, when there is one.
    pub next: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceSummary {
    pub id: String,
    pub number: Option<String>,
    pub status: String,
    pub created: DateTime<Utc>,
    pub period: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub total: Money,
    pub amount_paid: Money,
    pub amount_refunded: Money,
    /// The buyer, for the admin list.
    pub customer_email: Option<String>,
    pub customer_name: Option<String>,
    /// Where Download goes: Paydesk's PDF route.
    pub pdf_url: String,
}

impl InvoiceSummary {
    pub fn status_label(&self) -> &'static str {
        let refunded = self.amount_refunded.amount_minor;
        match self.status.as_str() {
            "paid" if refunded > 0 && refunded >= self.amount_paid.amount_minor => "Refunded",
            "paid" if refunded > 0 => "Partially refunded",
            "paid" => "Paid",
            "open" => "Due",
            "void" => "Void",
            "uncollectible" => "Uncollectible",
            _ => "Draft",
        }
    }
}

/// The admin's invoice filters; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceQuery {
    /// Part of the member's email or name, or a Stripe customer id.
    pub member: String,
    pub status: String,
    pub currency: String,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub after: Option<String>,
}

pub const INVOICE_STATUSES: &[&str] = &["draft", "open", "paid", "void", "uncollectible"];

impl InvoiceQuery {
    /// Checks the filters; a wrong one is named, nothing is searched.
    pub fn validate(&self) -> Result<(), AppError> {
        if !self.status.is_empty() && !INVOICE_STATUSES.contains(&self.status.as_str()) {
            return Err(AppError::validation("status", "Unknown invoice status."));
        }
        if !self.currency.is_empty() {
            Currency::parse(&self.currency).map_err(|m| AppError::validation("currency", m))?;
        }
        if let (Some(from), Some(to)) = (self.from, self.to) {
            if from > to {
                return Err(AppError::validation(
                    "to",
                    "The end date is before the start date.",
                ));
            }
        }
        if self.member.len() > 200 {
            return Err(AppError::validation("member", "That search is too long."));
        }
        if let Some(after) = &self.after {
            Cursor::decode(after)?;
        }
        Ok(())
    }
}

/// Where a payment stands, in the words of the payments list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaymentState {
    Succeeded,
    PartiallyRefunded,
    Refunded,
    Failed,
    Pending,
    Canceled,
}

impl PaymentState {
    pub fn of(status: &str, received: i64, refunded: i64, failed: bool) -> Self {
        match status {
            "succeeded" if refunded > 0 && refunded >= received => Self::Refunded,
            "succeeded" if refunded > 0 => Self::PartiallyRefunded,
            "succeeded" => Self::Succeeded,
            "canceled" => Self::Canceled,
            _ if failed => Self::Failed,
            _ => Self::Pending,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Succeeded => "Succeeded",
            Self::PartiallyRefunded => "Partially refunded",
            Self::Refunded => "Refunded",
            Self::Failed => "Failed",
            Self::Pending => "Pending",
            Self::Canceled => "Canceled",
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::PartiallyRefunded => "partially_refunded",
            Self::Refunded => "refunded",
            Self::Failed => "failed",
            Self::Pending => "pending",
            Self::Canceled => "canceled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentSummary {
    pub id: String,
    pub state: PaymentState,
    pub amount: Money,
    pub refunded: Money,
    pub created: DateTime<Utc>,
    pub customer_id: Option<String>,
    pub member_email: Option<String>,
    pub member_name: Option<String>,
    /// "Visa ending 4242", when the card is known.
    pub method: Option<String>,
    pub failure_message: Option<String>,
    pub invoice_id: Option<String>,
    pub invoice_number: Option<String>,
}

impl PaymentSummary {
    /// What may still be refunded.
    pub fn refundable(&self) -> Money {
        match self.state {
            PaymentState::Succeeded | PaymentState::PartiallyRefunded => Money::new(
                (self.amount.amount_minor - self.refunded.amount_minor).max(0),
                self.amount.currency.clone(),
            ),
            _ => Money::new(0, self.amount.currency.clone()),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentQuery {
    /// "", or a [`PaymentState::slug`].
    pub state: String,
    pub member: String,
    pub after: Option<String>,
}

/// Stripe's refund reasons, the only ones it takes.
pub const REFUND_REASONS: &[(&str, &str)] = &[
    ("requested_by_customer", "Requested by customer"),
    ("duplicate", "Duplicate"),
    ("fraudulent", "Fraudulent"),
];

pub fn refund_reason_label(reason: &str) -> &str {
    REFUND_REASONS
        .iter()
        .find(|(slug, _)| *slug == reason)
        .map_or(reason, |(_, label)| label)
}

/// An admin's refund: the amount as typed (empty for all that is left) and a reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundForm {
    pub payment_id: String,
    pub amount: String,
    pub reason: String,
    pub note: String,
}

impl RefundForm {
    /// The amount in minor units, checked against what is left to refund.
    pub fn amount_within(&self, left: &Money) -> Result<i64, AppError> {
        if !REFUND_REASONS.iter().any(|(slug, _)| *slug == self.reason) {
            return Err(AppError::validation("reason", "Choose a reason."));
        }
        if self.note.len() > 500 {
            return Err(AppError::validation(
                "note",
                "Keep the note under 500 characters.",
            ));
        }
        if left.amount_minor <= 0 {
            return Err(AppError::validation(
                "amount",
                "Nothing is left to refund on this payment.",
            ));
        }
        if self.amount.trim().is_empty() {
            return Ok(left.amount_minor);
        }
        let amount = Money::parse_major(&self.amount, left.currency.clone())
            .map_err(|m| AppError::validation("amount", m))?
            .amount_minor;
        if amount <= 0 {
            return Err(AppError::validation("amount", "Refund more than nothing."));
        }
        if amount > left.amount_minor {
            return Err(AppError::validation(
                "amount",
                format!("At most {left} is left to refund."),
            ));
        }
        Ok(amount)
    }
}

/// The seller block on Paydesk's invoice PDFs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceProfile {
    pub name: String,
    pub email: String,
    /// Address lines, one per line.
    pub address: String,
    pub tax_id: String,
    pub has_logo: bool,
    /// A new logo as base64 PNG, when the admin picked one.
    pub logo_png_base64: Option<String>,
    pub remove_logo: bool,
}

/// The largest logo accepted, in bytes of PNG.
/// Kept under the 64 KB cap on server-function bodies once base64-encoded (4/3 larger).
pub const MAX_LOGO_BYTES: usize = 40 * 1024;

impl InvoiceProfile {
    pub fn validate(&self) -> Result<(), AppError> {
        let limits = [
            ("name", &self.name, 120),
            ("email", &self.email, 254),
            ("address", &self.address, 500),
            ("tax_id", &self.tax_id, 60),
        ];
        for (field, value, max) in limits {
            if value.chars().count() > max {
                return Err(AppError::validation(
                    field,
                    format!("Keep this under {max} characters."),
                ));
            }
        }
        if !self.email.trim().is_empty() && !self.email.contains('@') {
            return Err(AppError::validation(
                "email",
                "That is not an email address.",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(amount: i64) -> Money {
        Money::new(amount, Currency::parse("usd").expect("valid"))
    }

    fn form(amount: &str) -> RefundForm {
        RefundForm {
            payment_id: "pi_1".into(),
            amount: amount.into(),
            reason: "requested_by_customer".into(),
            note: String::new(),
        }
    }

    #[test]
    fn a_refund_is_bounded_by_what_is_left() {
        assert_eq!(form("").amount_within(&usd(1500)), Ok(1500));
        assert_eq!(form("5").amount_within(&usd(1500)), Ok(500));
        assert_eq!(form("15.00").amount_within(&usd(1500)), Ok(1500));
        let over = form("15.01").amount_within(&usd(1500));
        assert!(matches!(over, Err(AppError::Validation { ref field, .. }) if field == "amount"));
        assert!(form("0").amount_within(&usd(1500)).is_err());
        assert!(form("1").amount_within(&usd(0)).is_err());
        assert!(form("abc").amount_within(&usd(1500)).is_err());
    }

    #[test]
    fn a_refund_needs_one_of_stripes_reasons() {
        let mut f = form("1");
        f.reason = "because".into();
        assert!(
            matches!(f.amount_within(&usd(100)), Err(AppError::Validation { ref field, .. }) if field == "reason")
        );
    }

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let c = Cursor {
            created: DateTime::from_timestamp(1_700_000_000, 123_000).expect("valid"),
            id: "in_123".into(),
        };
        assert_eq!(Cursor::decode(&c.encode()), Ok(c));
        assert!(Cursor::decode("nonsense").is_err());
        assert!(Cursor::decode("12_").is_err());
    }

    #[test]
    fn payment_states_follow_refunds() {
        assert_eq!(
            PaymentState::of("succeeded", 100, 0, false),
            PaymentState::Succeeded
        );
        assert_eq!(
            PaymentState::of("succeeded", 100, 40, false),
            PaymentState::PartiallyRefunded
        );
        assert_eq!(
            PaymentState::of("succeeded", 100, 100, false),
            PaymentState::Refunded
        );
        assert_eq!(
            PaymentState::of("requires_payment_method", 0, 0, true),
            PaymentState::Failed
        );
    }
}
