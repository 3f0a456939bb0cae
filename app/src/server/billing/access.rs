//! A member's access, derived in one place from their subscriptions and top-ups. Nothing
//! stores access: it is computed from Stripe's state when asked, so it can never disagree
//! with the rows it comes from.

use crate::model::{Access, AccessStatus, PaymentAction};
use crate::server::db;
use chrono::{DateTime, Duration, Months, Utc};
use sqlx::PgPool;
use uuid::Uuid;

#[derive(Debug, Clone, Copy)]
pub struct AccessRules {
    /// How long a past-due subscription keeps access after its period began.
    pub past_due_grace: Duration,
}

impl Default for AccessRules {
    fn default() -> Self {
        Self {
            past_due_grace: Duration::days(7),
        }
    }
}

/// A subscription as access sees it.
#[derive(Debug, Clone)]
pub struct SubscriptionFacts {
    pub status: String,
    pub product_name: Option<String>,
    pub product_kind: Option<String>,
    pub current_period_start: Option<DateTime<Utc>>,
    pub current_period_end: Option<DateTime<Utc>>,
    pub cancel_at_period_end: bool,
}

/// One paid top-up.
#[derive(Debug, Clone)]
pub struct CreditFacts {
    pub account_type: String,
    pub months: i32,
    pub paid_at: DateTime<Utc>,
}

/// Active or trialing is access; past due is access with a warning during the grace period;
/// canceled at period end is access until the period ends; anything else is none. Top-ups
/// stack in payment order, each starting when the previous one ends (or when it was paid).
/// Without a subscription, an admin's manual extension (`granted_until`) gives access until
/// then when it ends later than the top-ups.
pub fn derive(
    subscriptions: &[SubscriptionFacts],
    credits: &[CreditFacts],
    granted_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    rules: AccessRules,
) -> Access {
    let mut best: Option<(u8, Access)> = None;
    for s in subscriptions {
        if s.product_kind.as_deref() == Some("top_up") {
            continue; // a subscribed top-up buys time through its paid invoices
        }
        let (priority, status, until) = match s.status.as_str() {
            "active" if s.cancel_at_period_end => {
                (2, AccessStatus::Canceling, s.current_period_end)
            }
            "active" => (4, AccessStatus::Active, s.current_period_end),
            "trialing" => (3, AccessStatus::Trialing, s.current_period_end),
            "past_due" => {
                let grace_end = s
                    .current_period_start
                    .map(|start| start + rules.past_due_grace);
                if grace_end.is_some_and(|end| now < end) {
                    (1, AccessStatus::PastDue, grace_end)
                } else {
                    continue;
                }
            }
            _ => continue,
        };
        if best.as_ref().is_none_or(|(p, _)| priority > *p) {
            best = Some((
                priority,
                Access {
                    status,
                    plan: s.product_name.clone(),
                    until,
                    action: None,
                },
            ));
        }
    }
    if let Some((_, access)) = best {
        return access;
    }
    let top_up = top_up_access(credits, now);
    match granted_until.filter(|end| now < *end) {
        Some(until) if top_up.as_ref().is_none_or(|t| t.until < Some(until)) => Access {
            status: AccessStatus::Granted,
            plan: top_up.and_then(|t| t.plan),
            until: Some(until),
            action: None,
        },
        _ => top_up.unwrap_or_else(Access::none),
    }
}

fn top_up_access(credits: &[CreditFacts], now: DateTime<Utc>) -> Option<Access> {
    let mut sorted: Vec<&CreditFacts> = credits.iter().collect();
    sorted.sort_by_key(|c| c.paid_at);
    let mut paid_until: Option<DateTime<Utc>> = None;
    let mut account_type = None;
    for credit in sorted {
        let start = paid_until.map_or(credit.paid_at, |end| end.max(credit.paid_at));
        let months = Months::new(u32::try_from(credit.months).unwrap_or(0));
        paid_until = start.checked_add_months(months);
        account_type = Some(credit.account_type.clone());
    }
    let until = paid_until.filter(|end| now < *end)?;
    Some(Access {
        status: AccessStatus::TopUp,
        plan: account_type,
        until: Some(until),
        action: None,
    })
}

/// The member's access in `mode` now, with any invoice waiting for them.
pub async fn member_access(
    pool: &PgPool,
    user_id: Uuid,
    mode: &str,
    rules: AccessRules,
) -> Result<Access, sqlx::Error> {
    let subscriptions = db::access::subscriptions_of(pool, user_id, mode).await?;
    let credits = db::access::credits_of(pool, user_id, mode).await?;
    let granted = db::access::granted_until(pool, user_id, mode).await?;
    let mut access = derive(&subscriptions, &credits, granted, Utc::now(), rules);
    access.action = db::access::pending_action(pool, user_id, mode)
        .await?
        .map(|(kind, url)| PaymentAction {
            // A held renewal is fixed on Paydesk's address page, not on Stripe's invoice.
            url: if kind == "fix_address" {
                Some("/billing/address".to_owned())
            } else {
                url
            },
            kind,
        });
    Ok(access)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + day * 86_400, 0).expect("valid time")
    }

    fn sub(status: &str, start: i64, end: i64) -> SubscriptionFacts {
        SubscriptionFacts {
            status: status.to_owned(),
            product_name: Some("Pro".to_owned()),
            product_kind: Some("plan".to_owned()),
            current_period_start: Some(at(start)),
            current_period_end: Some(at(end)),
            cancel_at_period_end: false,
        }
    }

    fn rules() -> AccessRules {
        AccessRules::default()
    }

    #[test]
    fn active_and_trialing_give_access_until_the_period_ends() {
        let a = derive(&[sub("active", 0, 30)], &[], None, at(10), rules());
        assert_eq!((a.status, a.until), (AccessStatus::Active, Some(at(30))));
        let t = derive(&[sub("trialing", 0, 14)], &[], None, at(1), rules());
        assert_eq!(t.status, AccessStatus::Trialing);
    }

    #[test]
    fn past_due_keeps_access_only_during_the_grace_period() {
        let during = derive(&[sub("past_due", 0, 30)], &[], None, at(3), rules());
        assert_eq!(
            (during.status, during.until),
            (AccessStatus::PastDue, Some(at(7)))
        );
        let after = derive(&[sub("past_due", 0, 30)], &[], None, at(8), rules());
        assert!(!after.has_access());
    }

    #[test]
    fn canceled_at_period_end_keeps_access_until_then_and_deleted_or_unpaid_none() {
        let mut s = sub("active", 0, 30);
        s.cancel_at_period_end = true;
        let a = derive(&[s], &[], None, at(10), rules());
        assert_eq!((a.status, a.until), (AccessStatus::Canceling, Some(at(30))));
        for status in ["canceled", "unpaid", "incomplete", "incomplete_expired"] {
            assert!(!derive(&[sub(status, 0, 30)], &[], None, at(10), rules()).has_access());
        }
    }

    #[test]
    fn the_best_subscription_wins() {
        let a = derive(
            &[sub("canceled", 0, 30), sub("active", 0, 30)],
            &[],
            None,
            at(1),
            rules(),
        );
        assert_eq!(a.status, AccessStatus::Active);
    }

    #[test]
    fn top_ups_stack_in_payment_order_whatever_order_they_are_given_in() {
        let credit = |day, months| CreditFacts {
            account_type: "professional".to_owned(),
            months,
            paid_at: at(day),
        };
        let forward = [credit(0, 1), credit(10, 1)];
        let backward = [credit(10, 1), credit(0, 1)];
        let a = derive(&[], &forward, None, at(20), rules());
        let b = derive(&[], &backward, None, at(20), rules());
        assert_eq!(a, b);
        // Two months from day 0, since the second payment came before the first ran out.
        assert_eq!(a.until, at(0).checked_add_months(Months::new(2)));
        assert_eq!(a.plan.as_deref(), Some("professional"));
        let expired = derive(&[], &[credit(0, 1)], None, at(40), rules());
        assert!(!expired.has_access());
    }

    #[test]
    fn a_manual_grant_gives_access_until_it_ends_unless_paid_time_lasts_longer() {
        let credit = CreditFacts {
            account_type: "professional".to_owned(),
            months: 1,
            paid_at: at(0),
        };
        let granted = derive(
            &[],
            std::slice::from_ref(&credit),
            Some(at(60)),
            at(40),
            rules(),
        );
        assert_eq!(granted.status, AccessStatus::Granted);
        assert_eq!(granted.until, Some(at(60)));
        let shorter = derive(&[], &[credit], Some(at(10)), at(5), rules());
        assert_eq!(shorter.status, AccessStatus::TopUp);
        assert!(!derive(&[], &[], Some(at(10)), at(11), rules()).has_access());
        let subscribed = derive(&[sub("active", 0, 30)], &[], Some(at(90)), at(1), rules());
        assert_eq!(subscribed.status, AccessStatus::Active);
    }
}
