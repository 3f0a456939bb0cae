//! Members, newest first: search by email, name or Stripe customer id, filter by status, plan
//! and unrecognised tax address. Filters and the page cursor live in the query string.

use crate::api::console::get_members;
use crate::components::error_view::{FilterActions, Loaded};
use crate::components::format::or_dash;
use crate::components::pager::PagedTable;
use crate::components::plan_select::PlanSelect;
use crate::model::{status_label, MemberQuery, MemberRow, Page, MEMBER_STATUSES};
use crate::pages::admin::invoices::state_class;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

const PATH: &str = "/admin/members";

fn query_from(params: &ParamsMap) -> MemberQuery {
    let text = |key: &str| {
        params
            .get(key)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    MemberQuery {
        q: text("q"),
        status: text("status"),
        plan: text("plan"),
        tax_unrecognized: params.get("tax").is_some_and(|v| v == "unrecognized"),
        after: params.get("after").filter(|a| !a.is_empty()),
    }
}

#[component]
pub fn Members() -> impl IntoView {
    let params = use_query_map();
    let members = Resource::new(move || params.with(query_from), get_members);
    let current = move |key: &'static str| move || params.with(|p| p.get(key).unwrap_or_default());
    let status = current("status");
    view! {
        <Title text="Members"/>
        <h1>"Members"</h1>
        <Form method="GET" action=PATH attr:class="filters card">
            <label class="wide-field">
                "Search"
                <input type="search" name="q" prop:value=current("q")
                    placeholder="Email, name or cus_…"/>
            </label>
            <label>
                "Status"
                <select name="status" prop:value=status>
                    <option value="">"Any status"</option>
                    {MEMBER_STATUSES.iter().map(|(value, label)| view! {
                        <option value=*value selected=move || status() == *value>{*label}</option>
                    }).collect_view()}
                </select>
            </label>
            <PlanSelect selected=Signal::derive(current("plan"))/>
            <label class="choice">
                <input type="checkbox" name="tax" value="unrecognized"
                    prop:checked=move || params.with(|p| p.get("tax").is_some())/>
                "Tax address not recognised"
            </label>
            <FilterActions path=PATH label="Search"/>
        </Form>
        <Loaded resource=members show=move |page| view! { <MemberTable page params/> }/>
    }
}

#[component]
fn MemberTable(page: Page<MemberRow>, params: Memo<ParamsMap>) -> impl IntoView {
    view! {
        <PagedTable next=page.next has_rows=!page.items.is_empty() params path=PATH
            empty="No members match." class="members">
            <thead>
                <tr>
                    <th>"Member"</th><th>"Status"</th><th>"Plan"</th>
                    <th>"Tax address"</th><th>"Joined"</th>
                </tr>
            </thead>
            <tbody>
                {page.items.into_iter().map(|m| {
                    let label = m.status.as_deref()
                        .map(|s| status_label(s, m.cancel_at_period_end))
                        .unwrap_or("No subscription");
                    view! {
                        <tr data-testid="member-row">
                            <td class="member">
                                <a href=format!("{PATH}/{}", m.user_id)>{m.name}</a>
                                <br/><span class="muted small">{m.email}</span>
                            </td>
                            <td><span class=state_class(label)>{label}</span></td>
                            <td>{or_dash(m.plan)}</td>
                            <td>
                                {if m.tax_unrecognized {
                                    view! { <span class="status is-failed">"Not recognised"</span> }.into_any()
                                } else if m.customer_id.is_some() {
                                    view! { <span class="muted">"OK"</span> }.into_any()
                                } else {
                                    view! { <span class="muted">"—"</span> }.into_any()
                                }}
                            </td>
                            <td class="nowrap">{m.joined.format("%Y-%m-%d").to_string()}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </PagedTable>
    }
}
