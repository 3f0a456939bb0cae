//! The admin console's views of the business: the dashboard from the rollups, the member,
//! subscription and past-due lists, one member in full, and what an admin may do to a
//! member (cancel, resume, grant time). Every action is audited.

use super::access::member_access;
use super::invoices::{after_of, currency_of, member_page_rows, paged};
use super::payments::member_payments;
use super::recurring::monthly;
use super::settings::payment_error;
use crate::model::{
    AppError, CancelWhen, CurrentUser, Cursor, CustomerView, Dashboard, GrantForm, GrantView,
    HistoryEntry, MemberDetail, MemberQuery, MemberRow, MemberSubscriptionView, Money, Page,
    PastDuePage, PastDueRow, RevenueSeries, StripeId, SubscriptionQuery, SubscriptionRow,
    PAGE_SIZE,
};
use crate::server::db;
use crate::server::db::audit::{self, Actor};
use crate::server::db::console::{MemberFilter, Search, SubscriptionFilter, SubscriptionListRow};
use crate::server::error::OrInternal;
use crate::server::stripe::{Form, StripeApi};
use crate::server::AppState;
use chrono::{Datelike, Months, NaiveDate, NaiveTime, Utc};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use uuid::Uuid;

/// How many tries Stripe makes at a failed renewal before it gives up, under its default
/// retry schedule. Stripe does not say it through the API; the account's own setting wins.
pub const DUNNING_ATTEMPTS: i32 = 4;

/// The dashboard for the current mode: a handful of primary-key reads of the rollups.
pub async fn dashboard(state: &AppState) -> Result<Dashboard, AppError> {
    let mode = state.mode().await?;
    let today = Utc::now().date_naive();
    let this_month = first_of_month(today);
    let months: Vec<NaiveDate> = (0..12)
        .rev()
        .filter_map(|back| this_month.checked_sub_months(Months::new(back)))
        .collect();
    let since = months.first().copied().unwrap_or(this_month);

    let totals = db::console::subscription_totals(&state.pool, &mode)
        .await
        .or_internal("read subscription totals")?;
    let count = |status: &str| {
        totals
            .iter()
            .filter(|t| t.status == status)
            .map(|t| t.subscriptions)
            .sum::<i64>()
    };
    let mut annual: BTreeMap<String, i64> = BTreeMap::new();
    for t in totals
        .iter()
        .filter(|t| matches!(t.status.as_str(), "active" | "past_due"))
    {
        *annual.entry(t.currency.clone()).or_default() += t.annual_amount;
    }
    let mut mrr: Vec<Money> = annual
        .into_iter()
        .filter(|(currency, amount)| !currency.is_empty() && *amount > 0)
        .map(|(currency, amount)| Money::new(monthly(amount), currency_of(&currency)))
        .collect();
    mrr.sort_by_key(|m| std::cmp::Reverse(m.amount_minor));

    let movements = db::console::subscription_months(&state.pool, &mode, since)
        .await
        .or_internal("read subscription months")?;
    let per_month = |pick: fn(&db::console::MonthRow) -> i64| -> Vec<i64> {
        months
            .iter()
            .map(|m| movements.iter().find(|r| r.month == *m).map_or(0, pick))
            .collect()
    };
    let started = per_month(|r| r.started);
    let ended = per_month(|r| r.ended);

    let revenue_rows = db::console::revenue_months(&state.pool, &mode, since)
        .await
        .or_internal("read revenue months")?;
    let mut revenue: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for row in revenue_rows {
        if let Some(slot) = months.iter().position(|m| *m == row.month) {
            revenue
                .entry(row.currency)
                .or_insert_with(|| vec![0; months.len()])[slot] += row.net;
        }
    }
    let mut revenue: Vec<RevenueSeries> = revenue
        .into_iter()
        .map(|(currency, net)| RevenueSeries {
            currency: currency_of(&currency),
            net,
        })
        .collect();
    revenue.sort_by_key(|s| std::cmp::Reverse(s.net.iter().sum::<i64>()));

    Ok(Dashboard {
        mode,
        mrr,
        active: count("active"),
        trialing: count("trialing"),
        past_due: count("past_due"),
        churned_this_month: ended.last().copied().unwrap_or(0),
        months,
        revenue,
        started,
        ended,
    })
}

fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

pub async fn members(state: &AppState, query: &MemberQuery) -> Result<Page<MemberRow>, AppError> {
    let (plan, cursor) = query.parse()?;
    if cursor
        .as_ref()
        .is_some_and(|c| Uuid::parse_str(&c.id).is_err())
    {
        return Err(AppError::validation(
            "after",
            "That page link is not valid.",
        ));
    }
    let mode = state.mode().await?;
    let q = query.q.trim();
    let (search, customer_id) = match q {
        "" => (None, ""),
        id if id.starts_with("cus_") => (None, id),
        text => (Some(Search::new(text)), ""),
    };
    let rows = db::console::members(
        &state.pool,
        &mode,
        &MemberFilter {
            search: search.as_ref(),
            customer_id,
            status: &query.status,
            plan,
            tax_unrecognized: query.tax_unrecognized,
        },
        &after_of(cursor.as_ref()),
        PAGE_SIZE + 1,
    )
    .await
    .or_internal("list members")?;
    Ok(paged(
        rows,
        |r| Cursor {
            created: r.joined,
            id: r.user_id.to_string(),
        },
        |r| MemberRow {
            user_id: r.user_id,
            email: r.email,
            name: r.name,
            joined: r.joined,
            customer_id: r.customer_id,
            cancel_at_period_end: r.cancel_at_period_end.unwrap_or(false),
            status: r.status,
            plan: r.plan,
            tax_unrecognized: r.tax_location.as_deref() == Some("unrecognized_location"),
        },
    ))
}

fn subscription_row(r: SubscriptionListRow) -> SubscriptionRow {
    let counts = matches!(r.status.as_str(), "active" | "past_due");
    SubscriptionRow {
        mrr: r
            .currency
            .as_deref()
            .filter(|_| counts)
            .map(|c| Money::new(monthly(r.annual_amount), currency_of(c))),
        id: r.id,
        user_id: r.user_id,
        member_email: r.member_email,
        member_name: r.member_name,
        status: r.status,
        cancel_at_period_end: r.cancel_at_period_end,
        plan: r.plan,
        created: Some(r.created),
        current_period_end: r.current_period_end,
        ended_at: r.ended_at,
    }
}

pub async fn subscriptions(
    state: &AppState,
    query: &SubscriptionQuery,
) -> Result<Page<SubscriptionRow>, AppError> {
    let (plan, cursor) = query.parse()?;
    let mode = state.mode().await?;
    let rows = db::console::subscriptions(
        &state.pool,
        &mode,
        &SubscriptionFilter {
            status: &query.status,
            plan,
            customer_id: None,
        },
        &after_of(cursor.as_ref()),
        PAGE_SIZE + 1,
    )
    .await
    .or_internal("list subscriptions")?;
    Ok(paged(
        rows,
        |r| Cursor {
            created: r.created,
            id: r.id.clone(),
        },
        subscription_row,
    ))
}

/// The dunning list: who failed, when, tries left and what is at risk.
pub async fn past_due(state: &AppState, after: Option<&str>) -> Result<PastDuePage, AppError> {
    let cursor = after.map(Cursor::decode).transpose()?;
    let mode = state.mode().await?;
    let rows = db::console::past_due(
        &state.pool,
        &mode,
        &after_of(cursor.as_ref()),
        PAGE_SIZE + 1,
    )
    .await
    .or_internal("list past-due subscriptions")?;
    let totals = db::console::subscription_totals(&state.pool, &mode)
        .await
        .or_internal("read subscription totals")?;
    let count = totals
        .iter()
        .filter(|t| matches!(t.status.as_str(), "past_due" | "unpaid"))
        .map(|t| t.subscriptions)
        .sum();
    let page = paged(
        rows,
        |r| Cursor {
            created: r.created,
            id: r.subscription_id.clone(),
        },
        |r| {
            let open = r.invoice_status.as_deref() == Some("open");
            let attempts = r.attempt_count.unwrap_or(0);
            PastDueRow {
                at_risk: match (&r.currency, r.at_risk) {
                    (Some(c), Some(amount)) if open => Some(Money::new(amount, currency_of(c))),
                    _ => None,
                },
                retries_left: if open && r.next_payment_attempt.is_some() {
                    (DUNNING_ATTEMPTS - attempts).max(1)
                } else {
                    0
                },
                next_attempt: r.next_payment_attempt.filter(|_| open),
                subscription_id: r.subscription_id,
                status: r.status,
                user_id: r.user_id,
                member_email: r.member_email,
                plan: r.plan,
                invoice_id: r.invoice_id,
                invoice_number: r.invoice_number,
                failed_at: r.failed_at.filter(|_| r.failure_message.is_some()),
                failure_message: r.failure_message,
                attempts,
            }
        },
    );
    Ok(PastDuePage {
        rows: page.items,
        next: page.next,
        count,
    })
}

fn dashboard_url(mode: &str, kind: &str, id: &str) -> String {
    let prefix = if mode == "live" { "" } else { "test/" };
    format!("https://dashboard.stripe.com/{prefix}{kind}/{id}")
}

fn one_line_address(address: &Value) -> Option<String> {
    let parts: Vec<&str> = ["line1", "line2", "postal_code", "city", "state", "country"]
        .iter()
        .filter_map(|k| address[k].as_str().filter(|v| !v.is_empty()))
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// What an event type means to an admin reading a subscription's history.
fn describe_event(type_: &str) -> String {
    match type_ {
        "customer.subscription.created" => "Subscription created",
        "customer.subscription.updated" => "Subscription changed",
        "customer.subscription.deleted" => "Subscription ended",
        "customer.subscription.trial_will_end" => "Trial ends in three days",
        "customer.subscription.paused" => "Subscription paused",
        "customer.subscription.resumed" => "Subscription resumed",
        other => return other.to_owned(),
    }
    .to_owned()
}

/// One member with everything the console knows of them in the current mode.
pub async fn member_detail(state: &AppState, user_id: Uuid) -> Result<MemberDetail, AppError> {
    let mode = state.mode().await?;
    let profile = db::console::member_profile(&state.pool, &mode, user_id)
        .await
        .or_internal("load member")?
        .ok_or(AppError::NotFound)?;
    let access = member_access(&state.pool, user_id, &mode, state.access)
        .await
        .or_internal("derive access")?;
    let customer = profile.customer_id.as_ref().map(|id| CustomerView {
        dashboard_url: dashboard_url(&mode, "customers", id),
        address: profile.address.as_ref().and_then(one_line_address),
        tax_location: profile.tax_location.clone(),
        tax_ids: profile
            .tax_ids
            .as_ref()
            .and_then(Value::as_array)
            .map(|ids| {
                ids.iter()
                    .filter_map(|t| t["value"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        id: id.clone(),
    });

    let (subscriptions, payments, cards, events) = match &profile.customer_id {
        Some(customer_id) => {
            let rows = db::console::subscriptions(
                &state.pool,
                &mode,
                &SubscriptionFilter {
                    status: "",
                    plan: None,
                    customer_id: Some(customer_id),
                },
                &after_of(None),
                50,
            )
            .await
            .or_internal("list member subscriptions")?;
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            let history = db::console::history(&state.pool, &mode, &ids, 500)
                .await
                .or_internal("read subscription history")?;
            let subscriptions = rows
                .into_iter()
                .map(|r| MemberSubscriptionView {
                    dashboard_url: dashboard_url(&mode, "subscriptions", &r.id),
                    trial_end: r.trial_end,
                    canceled_at: r.canceled_at,
                    history: history
                        .iter()
                        .rev()
                        .filter(|h| h.object_id.as_deref() == Some(r.id.as_str()))
                        .map(|h| HistoryEntry {
                            at: h.created,
                            what: describe_event(&h.type_),
                        })
                        .collect(),
                    row: subscription_row(r),
                })
                .collect();
            let payments = member_payments(state, &mode, customer_id, 10).await?;
            let cards = db::console::cards_of(&state.pool, &mode, customer_id)
                .await
                .or_internal("list cards")?;
            let mut about = vec![customer_id.clone()];
            about.extend(ids);
            about.extend(payments.iter().map(|p| p.id.clone()));
            let events = db::events::about(&state.pool, &mode, &about, 20)
                .await
                .or_internal("list member events")?;
            (subscriptions, payments, cards, events)
        }
        None => Default::default(),
    };
    let invoices = member_page_rows(state, &mode, user_id, 10).await?;
    let grants = db::console::grants(&state.pool, &mode, user_id)
        .await
        .or_internal("list grants")?
        .into_iter()
        .map(|g| GrantView {
            until: g.until,
            reason: g.reason,
            granted_by: g.granted_by,
            created_at: g.created_at,
        })
        .collect();
    Ok(MemberDetail {
        user_id,
        email: profile.email,
        name: profile.name,
        role: profile.role,
        joined: profile.created_at,
        mode,
        access,
        customer,
        subscriptions,
        invoices,
        payments,
        cards,
        events,
        grants,
    })
}

/// Cancels a member's subscription now or at its period end, for an admin. Stripe answers
/// with the new state; the webhook brings it into Paydesk's copy.
pub async fn cancel_subscription(
    state: &AppState,
    admin: &CurrentUser,
    id: &str,
    when: CancelWhen,
) -> Result<String, AppError> {
    let stripe = state.settings().stripe().await?;
    let mode = stripe.mode().as_str();
    let (sub, owner) = live_owner(state, &stripe, mode, id).await?;
    if matches!(owner.status.as_str(), "canceled" | "incomplete_expired") {
        return Err(AppError::Conflict(
            "This subscription has already ended.".into(),
        ));
    }
    if when == CancelWhen::PeriodEnd && owner.cancel_at_period_end {
        return Err(AppError::Conflict(
            "This subscription is already set to end with its period.".into(),
        ));
    }
    let (updated, action) = match when {
        CancelWhen::Now => (
            stripe
                .cancel_subscription(&sub, &fresh_key("admin-cancel-now"))
                .await,
            "subscription.canceled",
        ),
        CancelWhen::PeriodEnd => (
            stripe
                .update_subscription(
                    &sub,
                    &Form::new().set("cancel_at_period_end", "true"),
                    &fresh_key("admin-cancel"),
                )
                .await,
            "subscription.cancel_scheduled",
        ),
    };
    let updated = updated.map_err(payment_error)?;
    audit::record(
        &state.pool,
        &Actor::from(admin),
        action,
        id,
        json!({
            "member": owner.member_email,
            "customer": owner.customer_id,
            "status": { "before": owner.status, "after": updated["status"] },
            "cancel_at_period_end": {
                "before": owner.cancel_at_period_end,
                "after": updated["cancel_at_period_end"],
            },
        }),
    )
    .await
    .or_internal("audit cancellation")?;
    Ok(match when {
        CancelWhen::Now => "Subscription canceled; access has ended.".to_owned(),
        CancelWhen::PeriodEnd => match period_end(&updated) {
            Some(end) => format!("Subscription set to end on {}.", end.format("%B %-d, %Y")),
            None => "Subscription set to end with its period.".to_owned(),
        },
    })
}

/// The subscription's member from Paydesk's copy, its state from Stripe now: a second click
/// before the first one's webhook has landed must see the first one's change.
async fn live_owner(
    state: &AppState,
    stripe: &StripeApi,
    mode: &str,
    id: &str,
) -> Result<(StripeId, db::console::SubscriptionOwner), AppError> {
    let id = StripeId::parse_prefixed("sub", id.trim()).map_err(|_| AppError::NotFound)?;
    let mut owner = db::console::subscription_owner(&state.pool, mode, id.as_str())
        .await
        .or_internal("load subscription")?
        .ok_or(AppError::NotFound)?;
    let live = stripe.subscription(&id).await.map_err(payment_error)?;
    if let Some(status) = live["status"].as_str() {
        owner.status = status.to_owned();
    }
    owner.cancel_at_period_end = live["cancel_at_period_end"] == true;
    Ok((id, owner))
}

fn period_end(sub: &Value) -> Option<chrono::DateTime<Utc>> {
    sub["items"]["data"][0]["current_period_end"]
        .as_i64()
        .or_else(|| sub["current_period_end"].as_i64())
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
}

/// Takes back a cancellation at period end.
pub async fn resume_subscription(
    state: &AppState,
    admin: &CurrentUser,
    id: &str,
) -> Result<String, AppError> {
    let stripe = state.settings().stripe().await?;
    let mode = stripe.mode().as_str();
    let (sub, owner) = live_owner(state, &stripe, mode, id).await?;
    if !owner.cancel_at_period_end {
        return Err(AppError::Conflict(
            "This subscription is not set to end.".into(),
        ));
    }
    stripe
        .update_subscription(
            &sub,
            &Form::new().set("cancel_at_period_end", "false"),
            &fresh_key("admin-resume"),
        )
        .await
        .map_err(payment_error)?;
    audit::record(
        &state.pool,
        &Actor::from(admin),
        "subscription.resumed",
        id,
        json!({
            "member": owner.member_email,
            "customer": owner.customer_id,
            "cancel_at_period_end": { "before": true, "after": false },
        }),
    )
    .await
    .or_internal("audit resume")?;
    Ok("Subscription resumed; it renews as before.".to_owned())
}

/// A manual paid-until extension: access until the end of the given day (UTC).
pub async fn grant_access(
    state: &AppState,
    admin: &CurrentUser,
    form: &GrantForm,
) -> Result<String, AppError> {
    let (until, reason) = form.parse(Utc::now().date_naive())?;
    let mode = state.mode().await?;
    let member = db::console::member_profile(&state.pool, &mode, form.user_id)
        .await
        .or_internal("load member")?
        .filter(|m| m.role == "member")
        .ok_or(AppError::NotFound)?;
    let end = until
        .succ_opt()
        .unwrap_or(until)
        .and_time(NaiveTime::MIN)
        .and_utc();
    let before = db::access::granted_until(&state.pool, form.user_id, &mode)
        .await
        .or_internal("read grants")?;
    let mut tx = state.pool.begin().await.or_internal("begin grant")?;
    db::console::insert_grant(&mut *tx, &mode, form.user_id, end, &reason, admin.id)
        .await
        .or_internal("insert grant")?;
    audit::record(
        &mut *tx,
        &Actor::from(admin),
        "member.access_granted",
        &form.user_id.to_string(),
        json!({
            "member": member.email,
            "mode": mode,
            "granted_until": { "before": before, "after": end },
            "reason": reason,
        }),
    )
    .await
    .or_internal("audit grant")?;
    tx.commit().await.or_internal("commit grant")?;
    Ok(format!(
        "Access granted until {}.",
        until.format("%B %-d, %Y")
    ))
}

fn fresh_key(what: &str) -> String {
    let nonce: u128 = rand::random();
    format!("paydesk-{what}-{nonce:032x}")
}
