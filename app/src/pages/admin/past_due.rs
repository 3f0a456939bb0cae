//! Dunning: subscriptions whose renewal failed, with who, when, why, the tries Stripe has
//! left and what is at risk.

use crate::api::console::get_past_due;
use crate::components::error_view::Loaded;
use crate::components::format::{minute, or_dash, MemberLink};
use crate::components::pager::PagedTable;
use crate::model::PastDuePage;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

const PATH: &str = "/admin/past-due";

#[component]
pub fn PastDue() -> impl IntoView {
    let params = use_query_map();
    let rows = Resource::new(
        move || params.with(|p| p.get("after").filter(|a| !a.is_empty())),
        get_past_due,
    );
    view! {
        <Title text="Past due"/>
        <h1>"Past due"</h1>
        <p class="muted">
            "Subscriptions whose renewal could not be charged. Stripe retries on its schedule; "
            "members keep access during the grace period and see a prompt to fix their payment."
        </p>
        <Loaded resource=rows show=move |page| view! { <PastDueTable page params/> }/>
    }
}

#[component]
fn PastDueTable(page: PastDuePage, params: Memo<ParamsMap>) -> impl IntoView {
    view! {
        <section class="stats" aria-label="Dunning">
            <div class="stat">
                <span class="stat-label">"Past due or unpaid"</span>
                <span class="stat-value" data-testid="past-due-count">{page.count}</span>
            </div>
        </section>
        <PagedTable next=page.next has_rows=!page.rows.is_empty() params path=PATH
            empty="No subscription is past due.">
            <thead>
                <tr>
                    <th>"Member"</th><th>"Plan"</th><th>"Failed"</th><th>"Reason"</th>
                    <th class="num">"Tries"</th><th class="num">"Retries left"</th>
                    <th>"Next retry"</th><th class="num">"At risk"</th>
                </tr>
            </thead>
            <tbody>
                {page.rows.into_iter().map(|r| {
                    view! {
                        <tr data-testid="past-due-row">
                            <td class="member">
                                <MemberLink user_id=r.user_id email=r.member_email.clone()/>
                                <br/><span class="muted small">{if r.status == "unpaid" { "Unpaid: Stripe stopped retrying" } else { "Past due" }}</span>
                            </td>
                            <td>{or_dash(r.plan)}</td>
                            <td class="nowrap">{minute(r.failed_at)}</td>
                            <td>{or_dash(r.failure_message)}</td>
                            <td class="num">{r.attempts}</td>
                            <td class="num">{r.retries_left}</td>
                            <td class="nowrap">{minute(r.next_attempt)}</td>
                            <td class="num">{or_dash(r.at_risk)}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </PagedTable>
    }
}
