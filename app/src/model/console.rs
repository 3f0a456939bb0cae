//! The admin console's dashboard, member and subscription lists, member detail, grants and
//! admin invitations.

use super::{
    Access, AppError, Card, Cursor, EmailAddress, EventSummary, InvoiceSummary, Money,
    PaymentSummary,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The dashboard's figures for one mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    pub mode: String,
    /// Monthly recurring revenue per currency, largest first: active and past-due
    /// subscriptions (trials excluded) at a month's share of their price after discounts.
    pub mrr: Vec<Money>,
    pub active: i64,
    pub trialing: i64,
    pub past_due: i64,
    pub churned_this_month: i64,
    /// The last twelve calendar months (UTC), oldest first.
    pub months: Vec<NaiveDate>,
    /// Net revenue (collected less refunded) per currency, one figure per month of `months`.
    pub revenue: Vec<RevenueSeries>,
    pub started: Vec<i64>,
    pub ended: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevenueSeries {
    pub currency: super::Currency,
    pub net: Vec<i64>,
}

/// What the member list can be narrowed to.
pub const MEMBER_STATUSES: &[(&str, &str)] = &[
    ("active", "Active"),
    ("trialing", "Trialing"),
    ("past_due", "Past due"),
    ("canceling", "Canceling"),
    ("canceled", "Canceled"),
    ("none", "No subscription"),
];

/// The member list's filters; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberQuery {
    /// Part of an email or name, or an exact Stripe customer id.
    pub q: String,
    /// One of [`MEMBER_STATUSES`], or empty.
    pub status: String,
    /// A plan's product id, or empty.
    pub plan: String,
    /// Only members whose billing address Stripe Tax does not recognise.
    pub tax_unrecognized: bool,
    pub after: Option<String>,
}

impl MemberQuery {
    /// The filters checked: the plan's id and where the page starts.
    pub fn parse(&self) -> Result<(Option<Uuid>, Option<Cursor>), AppError> {
        if self.q.chars().count() > 200 {
            return Err(AppError::validation("q", "That search is too long."));
        }
        parse_filters(
            MEMBER_STATUSES,
            &self.status,
            &self.plan,
            self.after.as_deref(),
        )
    }
}

/// A list's status (one of `statuses`, or empty), plan (a product id, or empty) and page link.
fn parse_filters(
    statuses: &[(&str, &str)],
    status: &str,
    plan: &str,
    after: Option<&str>,
) -> Result<(Option<Uuid>, Option<Cursor>), AppError> {
    if !status.is_empty() && !statuses.iter().any(|(s, _)| *s == status) {
        return Err(AppError::validation(
            "status",
            "Choose a status from the list.",
        ));
    }
    let plan = match plan {
        "" => None,
        id => Some(
            Uuid::parse_str(id)
                .map_err(|_| AppError::validation("plan", "Choose a plan from the list."))?,
        ),
    };
    Ok((plan, after.map(Cursor::decode).transpose()?))
}

/// One member in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRow {
    pub user_id: Uuid,
    pub email: String,
    pub name: String,
    pub joined: DateTime<Utc>,
    pub customer_id: Option<String>,
    /// Their most telling subscription's status (past due before active before canceled).
    pub status: Option<String>,
    pub cancel_at_period_end: bool,
    pub plan: Option<String>,
    pub tax_unrecognized: bool,
}

/// A subscription status as the console words it.
pub fn status_label(status: &str, cancel_at_period_end: bool) -> &'static str {
    match status {
        "active" if cancel_at_period_end => "Canceling",
        "active" => "Active",
        "trialing" => "Trialing",
        "past_due" => "Past due",
        "unpaid" => "Unpaid",
        "canceled" => "Canceled",
        "incomplete" => "Incomplete",
        "incomplete_expired" => "Expired",
        "paused" => "Paused",
        _ => "Unknown",
    }
}

/// The subscription list's filters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionQuery {
    /// A Stripe status, `canceling`, or empty.
    pub status: String,
    pub plan: String,
    pub after: Option<String>,
}

pub const SUBSCRIPTION_STATUSES: &[(&str, &str)] = &[
    ("active", "Active"),
    ("canceling", "Canceling"),
    ("trialing", "Trialing"),
    ("past_due", "Past due"),
    ("unpaid", "Unpaid"),
    ("canceled", "Canceled"),
    ("incomplete", "Incomplete"),
];

impl SubscriptionQuery {
    /// The filters checked: the plan's id and where the page starts.
    pub fn parse(&self) -> Result<(Option<Uuid>, Option<Cursor>), AppError> {
        parse_filters(
            SUBSCRIPTION_STATUSES,
            &self.status,
            &self.plan,
            self.after.as_deref(),
        )
    }
}

/// A subscription as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionRow {
    pub id: String,
    pub user_id: Option<Uuid>,
    pub member_email: Option<String>,
    pub member_name: Option<String>,
    pub status: String,
    pub cancel_at_period_end: bool,
    pub plan: Option<String>,
    /// A month's share of what it brings in; none while trialing or ended.
    pub mrr: Option<Money>,
    pub created: Option<DateTime<Utc>>,
    pub current_period_end: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// A subscription whose renewal failed: the dunning list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PastDueRow {
    pub subscription_id: String,
    pub status: String,
    pub user_id: Option<Uuid>,
    pub member_email: Option<String>,
    pub plan: Option<String>,
    pub invoice_id: Option<String>,
    pub invoice_number: Option<String>,
    /// What is still owed on the unpaid invoice.
    pub at_risk: Option<Money>,
    /// When the last payment attempt failed, and why.
    pub failed_at: Option<DateTime<Utc>>,
    pub failure_message: Option<String>,
    pub attempts: i32,
    /// Tries Stripe has left before it gives up; `0` when no retry is scheduled.
    pub retries_left: i32,
    pub next_attempt: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PastDuePage {
    pub rows: Vec<PastDueRow>,
    pub next: Option<String>,
    pub count: i64,
}

/// One member, everything the console knows of them in the current mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberDetail {
    pub user_id: Uuid,
    pub email: String,
    pub name: String,
    pub role: String,
    pub joined: DateTime<Utc>,
    pub mode: String,
    pub access: Access,
    pub customer: Option<CustomerView>,
    pub subscriptions: Vec<MemberSubscriptionView>,
    pub invoices: Vec<InvoiceSummary>,
    pub payments: Vec<PaymentSummary>,
    pub cards: Vec<Card>,
    pub events: Vec<EventSummary>,
    pub grants: Vec<GrantView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerView {
    pub id: String,
    /// The customer in Stripe's dashboard.
    pub dashboard_url: String,
    pub address: Option<String>,
    /// Stripe Tax's verdict on the address (`supported`, `unrecognized_location`...).
    pub tax_location: Option<String>,
    pub tax_ids: Vec<String>,
}

impl CustomerView {
    pub fn tax_unrecognized(&self) -> bool {
        self.tax_location.as_deref() == Some("unrecognized_location")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSubscriptionView {
    pub row: SubscriptionRow,
    pub dashboard_url: String,
    pub trial_end: Option<DateTime<Utc>>,
    pub canceled_at: Option<DateTime<Utc>>,
    /// What happened to it, oldest first: Stripe's events about it.
    pub history: Vec<HistoryEntry>,
}

impl MemberSubscriptionView {
    /// Cancel and resume apply to a subscription that has not ended.
    pub fn is_live(&self) -> bool {
        matches!(
            self.row.status.as_str(),
            "active" | "trialing" | "past_due" | "unpaid" | "paused"
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    pub what: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantView {
    pub until: DateTime<Utc>,
    pub reason: String,
    pub granted_by: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Cancel a subscription now (prorated nothing, access ends) or at its period end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CancelWhen {
    Now,
    PeriodEnd,
}

/// A manual paid-until extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantForm {
    pub user_id: Uuid,
    pub until: String,
    pub reason: String,
}

impl GrantForm {
    /// The last day of access (inclusive), which must be after `today`, and the reason.
    pub fn parse(&self, today: NaiveDate) -> Result<(NaiveDate, String), AppError> {
        let until = NaiveDate::parse_from_str(self.until.trim(), "%Y-%m-%d")
            .map_err(|_| AppError::validation("until", "Give a date (YYYY-MM-DD)."))?;
        if until <= today {
            return Err(AppError::validation("until", "Give a date after today."));
        }
        if until > today + chrono::Duration::days(3660) {
            return Err(AppError::validation(
                "until",
                "Give a date within ten years.",
            ));
        }
        let reason = self.reason.trim();
        if reason.is_empty() {
            return Err(AppError::validation(
                "reason",
                "Say why, for the audit log.",
            ));
        }
        if reason.chars().count() > 500 {
            return Err(AppError::validation(
                "reason",
                "Keep the reason under 500 characters.",
            ));
        }
        Ok((until, reason.to_owned()))
    }
}

/// An admin's invitation of another admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteForm {
    pub email: String,
}

impl InviteForm {
    pub fn email(&self) -> Result<EmailAddress, AppError> {
        EmailAddress::parse(&self.email)
    }
}

/// A made invitation: the link is shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedInvite {
    pub email: String,
    pub link: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteView {
    pub id: Uuid,
    pub email: String,
    pub invited_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// `pending`, `accepted`, `revoked` or `expired`.
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminsPage {
    pub admins: Vec<super::MemberSummary>,
    pub invites: Vec<InviteView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_needs_a_future_date_and_a_reason() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).expect("a date");
        let form = |until: &str, reason: &str| GrantForm {
            user_id: Uuid::nil(),
            until: until.into(),
            reason: reason.into(),
        };
        assert!(form("2026-12-31", "Goodwill after outage")
            .parse(today)
            .is_ok());
        assert!(form("2026-11-23", "x").parse(today).is_err());
        assert!(form("31/12/2026", "x").parse(today).is_err());
        assert!(form("2026-12-31", "  ").parse(today).is_err());
        assert!(form("2040-01-01", "x").parse(today).is_err());
    }

    #[test]
    fn member_filters_are_checked() {
        let q = |status: &str, plan: &str| MemberQuery {
            status: status.into(),
            plan: plan.into(),
            ..MemberQuery::default()
        };
        assert!(q("past_due", "").parse().is_ok());
        assert!(q("everything", "").parse().is_err());
        assert!(q("", "not-a-uuid").parse().is_err());
        assert!(MemberQuery {
            after: Some("garbage".into()),
            ..MemberQuery::default()
        }
        .parse()
        .is_err());
    }
}
