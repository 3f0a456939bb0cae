//! Every subscription in the current mode, newest first, by status and plan.

use crate::api::console::get_subscriptions;
use crate::components::error_view::{FilterActions, Loaded};
use crate::components::format::{day, or_dash, MemberLink};
use crate::components::pager::PagedTable;
use crate::components::plan_select::PlanSelect;
use crate::model::{status_label, Page, SubscriptionQuery, SubscriptionRow, SUBSCRIPTION_STATUSES};
use crate::pages::admin::invoices::state_class;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

const PATH: &str = "/admin/subscriptions";

fn query_from(params: &ParamsMap) -> SubscriptionQuery {
    SubscriptionQuery {
        status: params.get("status").unwrap_or_default(),
        plan: params.get("plan").unwrap_or_default(),
        after: params.get("after").filter(|a| !a.is_empty()),
    }
}

#[component]
pub fn Subscriptions() -> impl IntoView {
    let params = use_query_map();
    let subscriptions = Resource::new(move || params.with(query_from), get_subscriptions);
    let status = move || params.with(|p| p.get("status").unwrap_or_default());
    let plan = move || params.with(|p| p.get("plan").unwrap_or_default());
    view! {
        <Title text="Subscriptions"/>
        <h1>"Subscriptions"</h1>
        <Form method="GET" action=PATH attr:class="filters card">
            <label>
                "Status"
                <select name="status" prop:value=status>
                    <option value="">"Any status"</option>
                    {SUBSCRIPTION_STATUSES.iter().map(|(value, label)| view! {
                        <option value=*value selected=move || status() == *value>{*label}</option>
                    }).collect_view()}
                </select>
            </label>
            <PlanSelect selected=Signal::derive(plan)/>
            <FilterActions path=PATH/>
        </Form>
        <Loaded resource=subscriptions show=move |page| view! { <SubscriptionTable page params/> }/>
    }
}

#[component]
fn SubscriptionTable(page: Page<SubscriptionRow>, params: Memo<ParamsMap>) -> impl IntoView {
    view! {
        <PagedTable next=page.next has_rows=!page.items.is_empty() params path=PATH
            empty="No subscriptions match.">
            <thead>
                <tr>
                    <th>"Member"</th><th>"Plan"</th><th>"Status"</th>
                    <th class="num">"Monthly value"</th><th>"Started"</th><th>"Renews or ends"</th>
                </tr>
            </thead>
            <tbody>
                {page.items.into_iter().map(|s| {
                    let label = status_label(&s.status, s.cancel_at_period_end);
                    view! {
                        <tr data-testid="subscription-row">
                            <td class="member">
                                <MemberLink user_id=s.user_id email=s.member_email.clone()/>
                                <br/><code class="small">{s.id.clone()}</code>
                            </td>
                            <td>{or_dash(s.plan)}</td>
                            <td><span class=state_class(label)>{label}</span></td>
                            <td class="num">{or_dash(s.mrr)}</td>
                            <td class="nowrap">{day(s.created)}</td>
                            <td class="nowrap">{day(s.ended_at.or(s.current_period_end))}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </PagedTable>
    }
}
