//! The audit log as the console reads it: newest first, filtered, paged by keyset. Rows are
//! written by each action in its own transaction and never changed (a trigger refuses it).

use super::invoices::paged;
use crate::model::{AppError, AuditEntry, AuditQuery, Cursor, Page, PAGE_SIZE};
use crate::server::db;
use crate::server::db::audit::AuditFilter;
use crate::server::error::OrInternal;
use crate::server::AppState;
use serde_json::Value;

pub async fn page(state: &AppState, query: &AuditQuery) -> Result<Page<AuditEntry>, AppError> {
    query.validate()?;
    let rows = db::audit::page(
        &state.pool,
        &AuditFilter {
            action: query.action.trim(),
            actor: query.actor.trim(),
            target: query.target.trim(),
            from: query.from,
            to: query.to,
        },
        query.cursor()?,
        PAGE_SIZE + 1,
    )
    .await
    .or_internal("list audit log")?;
    Ok(paged(
        rows,
        |r| Cursor {
            created: r.created_at,
            id: r.id.to_string(),
        },
        |r| AuditEntry {
            id: r.id,
            actor_email: r.actor_email,
            action: r.action,
            target: r.target,
            details: describe(&r.details),
            created_at: r.created_at,
        },
    ))
}

/// Details as lines people read: `name: Acme → Acme GmbH` for a before/after pair,
/// `amount: 400` otherwise.
fn describe(details: &Value) -> String {
    let plain = |v: &Value| match v {
        Value::String(s) if !s.is_empty() => s.clone(),
        Value::String(_) | Value::Null => "(none)".to_owned(),
        other => other.to_string(),
    };
    match details {
        Value::Object(fields) => fields
            .iter()
            .map(
                |(key, value)| match (value.get("before"), value.get("after")) {
                    (Some(before), Some(after))
                        if value.as_object().is_some_and(|o| o.len() == 2) =>
                    {
                        format!("{key}: {} → {}", plain(before), plain(after))
                    }
                    _ => format!("{key}: {}", plain(value)),
                },
            )
            .collect::<Vec<_>>()
            .join("\n"),
        other => plain(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn details_read_as_lines_with_before_and_after() {
        let details = json!({
            "amount": 400,
            "name": { "before": "Acme", "after": "Acme GmbH" },
            "note": null
        });
        assert_eq!(
            describe(&details),
            "amount: 400\nname: Acme → Acme GmbH\nnote: (none)"
        );
        assert_eq!(describe(&json!({})), "");
    }
}
