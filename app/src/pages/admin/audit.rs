//! The audit log: every admin action with its actor, time, target and what changed. Filters
//! and the page cursor live in the query string, like the invoice list.

use crate::api::admin::get_audit_log;
use crate::components::error_view::{FilterActions, Loaded};
use crate::components::pager::PagedTable;
use crate::model::{AuditEntry, AuditQuery, Page};
use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

const PATH: &str = "/admin/audit";

fn query_from(params: &ParamsMap) -> AuditQuery {
    let text = |key: &str| {
        params
            .get(key)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    let date = |key: &str| {
        params
            .get(key)
            .and_then(|v| NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok())
    };
    AuditQuery {
        action: text("action"),
        actor: text("actor"),
        target: text("target"),
        from: date("from"),
        to: date("to"),
        after: params.get("after").filter(|a| !a.is_empty()),
    }
}

#[component]
pub fn AuditLog() -> impl IntoView {
    let params = use_query_map();
    let entries = Resource::new(move || params.with(query_from), get_audit_log);
    let current = move |key: &'static str| move || params.with(|p| p.get(key).unwrap_or_default());
    view! {
        <Title text="Audit log"/>
        <h1>"Audit log"</h1>
        <p class="muted">
            "Every admin action, newest first. Entries are never changed or removed; secrets are "
            "named, never shown."
        </p>
        <Form method="GET" action=PATH attr:class="filters card">
            <label>
                "Action"
                <input type="search" name="action" prop:value=current("action")
                    placeholder="payment. or settings."/>
            </label>
            <label>
                "Admin"
                <input type="search" name="actor" prop:value=current("actor") placeholder="Email"/>
            </label>
            <label>
                "Target"
                <input type="search" name="target" prop:value=current("target")
                    placeholder="pi_…, a product id"/>
            </label>
            <label class="date-field">
                "From"
                <input type="date" name="from" prop:value=current("from")/>
            </label>
            <label class="date-field">
                "To"
                <input type="date" name="to" prop:value=current("to")/>
            </label>
            <FilterActions path=PATH/>
        </Form>
        <Loaded resource=entries show=move |page| view! { <AuditTable page params/> }/>
    }
}

#[component]
fn AuditTable(page: Page<AuditEntry>, params: Memo<ParamsMap>) -> impl IntoView {
    view! {
        <PagedTable next=page.next has_rows=!page.items.is_empty() params path=PATH
            empty="No entries match." class="audit">
            <thead>
                <tr><th>"When"</th><th>"Admin"</th><th>"Action"</th><th>"Target"</th><th>"Details"</th></tr>
            </thead>
            <tbody>
                {page.items.into_iter().map(|e| view! {
                    <tr data-testid="audit-entry">
                        <td class="nowrap">{e.created_at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                        <td>{e.actor_email}</td>
                        <td><code>{e.action}</code></td>
                        <td><code>{e.target}</code></td>
                        <td><code class="details">{e.details}</code></td>
                    </tr>
                }).collect_view()}
            </tbody>
        </PagedTable>
    }
}
