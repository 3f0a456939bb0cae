//! Paydesk's copy of Stripe's objects next to Stripe's own: for one object (the console's
//! "compare with Stripe") or for every subscription and invoice (`paydesk reconcile`).

use super::apply::store;
use super::objects::{text, Kind};
use super::ApplyError;
use crate::model::{AppError, StripeId};
use crate::model::{FieldDifference, ObjectComparison, ReconcileReport, StripeMode};
use crate::server::billing::settings::{payment_error, SettingsContext};
use crate::server::db;
use crate::server::error::OrInternal;
use crate::server::stripe::StripePath;
use serde_json::Value;

/// Fields Stripe sends only when asked for (`expand[]=tax`), which Paydesk's copy may hold
/// and a plain fetch lacks: not a difference.
const ON_REQUEST: &[&str] = &["tax"];

/// Top-level fields whose values differ, with both values as compact JSON.
pub fn differences(stored: Option<&Value>, live: &Value) -> Vec<FieldDifference> {
    let empty = serde_json::Map::new();
    let stored_map = stored.and_then(Value::as_object).unwrap_or(&empty);
    let live_map = live.as_object().unwrap_or(&empty);
    let mut fields: Vec<&String> = stored_map.keys().chain(live_map.keys()).collect();
    fields.sort();
    fields.dedup();
    fields
        .into_iter()
        .filter(|f| stored_map.get(*f) != live_map.get(*f))
        .filter(|f| live_map.contains_key(*f) || !ON_REQUEST.contains(&f.as_str()))
        .map(|f| FieldDifference {
            field: f.clone(),
            stored: stored_map
                .get(f)
                .map_or_else(|| "(absent)".to_owned(), Value::to_string),
            live: live_map
                .get(f)
                .map_or_else(|| "(absent)".to_owned(), Value::to_string),
        })
        .collect()
}

/// The object an event is about, as Paydesk stores it and as Stripe has it now.
pub async fn compare_event_object(
    settings: &SettingsContext<'_>,
    event_id: &str,
) -> Result<ObjectComparison, AppError> {
    if !super::is_event_id(event_id) {
        return Err(AppError::NotFound);
    }
    let (mode, payload) = db::events::mode_and_payload(settings.pool, event_id)
        .await
        .or_internal("load stripe event")?
        .ok_or(AppError::NotFound)?;
    let object = &payload["data"]["object"];
    let (Some(kind), Some(id)) = (Kind::of(object), text(&object["id"])) else {
        return Err(AppError::Conflict(
            "Paydesk keeps no copy of this kind of object.".into(),
        ));
    };
    let mode_ = StripeMode::parse(&mode).unwrap_or_default();
    let api = settings.stripe_for(mode_).await?;
    let object_id = StripeId::parse(&id).or_internal("read the event's object id")?;
    let live = api
        .get_object(&kind.path(&object_id))
        .await
        .map_err(payment_error)?;
    let mut conn = settings
        .pool
        .acquire()
        .await
        .or_internal("acquire connection")?;
    let stored = db::stripe_state::stored_object(&mut conn, &mode, &id)
        .await
        .or_internal("load stored object")?
        .map(|s| s.object);
    Ok(ObjectComparison {
        object_id: id,
        kind: kind.as_str().to_owned(),
        differences: differences(stored.as_ref(), &live),
        stored: stored.as_ref().map(pretty),
        live: pretty(&live),
    })
}

fn pretty(value: &Value) -> String {
    let mut value = value.clone();
    crate::server::webhooks::redact_secrets(&mut value);
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

/// Walks Stripe's subscriptions (every status) and invoices of `mode`; wherever Paydesk's
/// copy differs, stores Stripe's. `fix: false` only reports.
pub async fn reconcile(
    settings: &SettingsContext<'_>,
    mode: StripeMode,
    fix: bool,
) -> Result<ReconcileReport, AppError> {
    let api = settings.stripe_for(mode).await?;
    let mut report = ReconcileReport::default();
    for (path, params) in [
        (StripePath::new("/subscriptions"), &[("status", "all")][..]),
        (StripePath::new("/invoices"), &[][..]),
    ] {
        let objects = api
            .list_objects(&path, params)
            .await
            .map_err(payment_error)?;
        for live in objects {
            report.checked += 1;
            if let Some(drift) = reconcile_one(settings, mode, &live, fix)
                .await
                .or_internal("reconcile object")?
            {
                report.drifted.push(drift);
            }
        }
    }
    report.fixed = fix;
    Ok(report)
}

/// Compares one live object with the stored one under its locks; returns the drift, if any.
async fn reconcile_one(
    settings: &SettingsContext<'_>,
    mode: StripeMode,
    live: &Value,
    fix: bool,
) -> Result<Option<(String, Vec<FieldDifference>)>, ApplyError> {
    let (Some(kind), Some(id)) = (Kind::of(live), text(&live["id"])) else {
        return Ok(None);
    };
    let mode = mode.as_str();
    let mut tx = settings.pool.begin().await?;
    let mut keys: Vec<String> = [text(&live["id"]), text(&live["customer"])]
        .into_iter()
        .flatten()
        .map(|k| format!("{mode}:{k}"))
        .collect();
    db::events::lock_objects(&mut tx, &mut keys).await?;
    let stored = db::stripe_state::stored_object(&mut tx, mode, &id).await?;
    let diff = differences(stored.as_ref().map(|s| &s.object), live);
    if diff.is_empty() {
        return Ok(None);
    }
    if fix {
        // Stamped with the current time: events older than this fetch cannot undo it.
        let now = chrono::Utc::now().timestamp();
        let created = stored.map_or(now, |s| s.event_created.max(now));
        store(&mut tx, mode, kind, &id, live, None, created).await?;
        tx.commit().await?;
    }
    Ok(Some((id, diff)))
}
