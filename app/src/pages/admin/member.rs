//! One member in the console: profile, access, warnings, subscriptions with their history,
//! invoices, payments, cards, events, and the admin's actions on them. Actions ask Stripe at
//! once; the page shows Stripe's answer, then reads again once the webhook has landed.

use crate::api::console::{
    get_member, AdminCancelSubscription, AdminResumeSubscription, GrantAccess,
};
use crate::components::error_view::Loaded;
use crate::components::form_fields::FieldError;
use crate::components::format::{day, or_dash};
use crate::components::refetch::read_again_soon;
use crate::model::{
    status_label, AppError, CancelWhen, GrantForm, MemberDetail, MemberSubscriptionView,
};
use crate::pages::admin::invoices::state_class;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

#[derive(Clone, Copy)]
struct Actions {
    cancel: ServerAction<AdminCancelSubscription>,
    resume: ServerAction<AdminResumeSubscription>,
    grant: ServerAction<GrantAccess>,
    confirming: RwSignal<Option<String>>,
}

#[component]
pub fn MemberPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|id| Uuid::parse_str(&id).ok()));
    let actions = Actions {
        cancel: ServerAction::new(),
        resume: ServerAction::new(),
        grant: ServerAction::new(),
        confirming: RwSignal::new(None),
    };
    let refreshed = RwSignal::new(0u32);
    let member = Resource::new(
        move || (id(), refreshed.get()),
        |(id, _)| async move {
            match id {
                Some(id) => get_member(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let message = RwSignal::new(None::<Result<String, AppError>>);
    let after_action = move |result: Option<Result<String, AppError>>| {
        if let Some(result) = result {
            let succeeded = result.is_ok();
            message.set(Some(result));
            if succeeded {
                actions.confirming.set(None);
                read_again_soon(refreshed);
            }
        }
    };
    Effect::new(move |_| after_action(actions.cancel.value().get()));
    Effect::new(move |_| after_action(actions.resume.value().get()));
    Effect::new(move |_| after_action(actions.grant.value().get()));
    view! {
        <Title text="Member"/>
        <p><a href="/admin/members">"← Members"</a></p>
        {move || message.get().map(|m| match m {
            Ok(text) => view! { <p class="notice" role="status" data-testid="action-notice">{text}</p> }.into_any(),
            Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
        })}
        <Loaded resource=member show=move |m| view! { <Detail member=m actions/> }/>
    }
}

#[component]
fn Detail(member: MemberDetail, actions: Actions) -> impl IntoView {
    let past_due = member
        .subscriptions
        .iter()
        .any(|s| matches!(s.row.status.as_str(), "past_due" | "unpaid"));
    let tax_unrecognized = member
        .customer
        .as_ref()
        .is_some_and(|c| c.tax_unrecognized());
    let customer_id = member.customer.as_ref().map(|c| c.id.clone());
    let filter_link = |path: &str| {
        customer_id
            .as_ref()
            .map(|c| format!("{path}?member={c}"))
            .unwrap_or_else(|| path.to_owned())
    };
    view! {
        <div class="page-head">
            <div>
                <h1>{member.name.clone()}</h1>
                <p class="muted">{member.email.clone()} " · " {member.role.clone()}
                    " · joined " {member.joined.format("%Y-%m-%d").to_string()}</p>
            </div>
            {member.customer.as_ref().map(|c| view! {
                <a class="button secondary" href=c.dashboard_url.clone() target="_blank"
                    rel="noopener noreferrer">"Open in Stripe"</a>
            })}
        </div>
        {past_due.then(|| view! {
            <div class="alert alert-error" role="alert" data-testid="past-due-warning">
                <p><strong>"Payment failed."</strong>
                " A renewal of this member's subscription could not be charged; Stripe is retrying. "
                "See "<a href="/admin/past-due">"Past due"</a>" for the retries left."</p>
            </div>
        })}
        {tax_unrecognized.then(|| view! {
            <div class="alert warning" role="alert" data-testid="tax-warning">
                <p><strong>"Billing address not recognised."</strong>
                " Stripe Tax cannot place this member's address, so automatic tax cannot be "
                "calculated and renewals wait until it is fixed. Ask the member to correct it on "
                "their billing address page."</p>
            </div>
        })}
        <section class="grid-2">
            <div class="card">
                <h2>"Access"</h2>
                <p data-testid="access">{member.access.describe()}</p>
                <GrantPanel user_id=member.user_id grants=member.grants.clone() action=actions.grant/>
            </div>
            <div class="card">
                <h2>"Billing details"</h2>
                {match &member.customer {
                    None => view! { <p class="muted">"No Stripe customer in this mode yet."</p> }.into_any(),
                    Some(c) => view! {
                        <dl class="facts">
                            <dt>"Customer"</dt><dd><code>{c.id.clone()}</code></dd>
                            <dt>"Address"</dt><dd>{or_dash(c.address.clone())}</dd>
                            <dt>"Tax location"</dt>
                            <dd>{match c.tax_location.as_deref() {
                                Some("unrecognized_location") => "Not recognised".to_owned(),
                                Some("supported") => "Recognised".to_owned(),
                                Some(other) => other.replace('_', " "),
                                None => "Not checked".to_owned(),
                            }}</dd>
                            <dt>"Tax IDs"</dt>
                            <dd>{if c.tax_ids.is_empty() { "—".to_owned() } else { c.tax_ids.join(", ") }}</dd>
                            <dt>"Cards"</dt>
                            <dd>{if member.cards.is_empty() {
                                "—".to_owned()
                            } else {
                                member.cards.iter().map(|card| {
                                    let default = if card.is_default { " (default)" } else { "" };
                                    format!("{}{default}", card.label())
                                }).collect::<Vec<_>>().join("; ")
                            }}</dd>
                        </dl>
                    }.into_any(),
                }}
            </div>
        </section>
        <section class="card">
            <h2>"Subscriptions"</h2>
            {if member.subscriptions.is_empty() {
                view! { <p class="muted">"None."</p> }.into_any()
            } else {
                member.subscriptions.into_iter().map(|s| view! { <SubscriptionCard sub=s actions/> })
                    .collect_view().into_any()
            }}
        </section>
        <section class="card table-card">
            <div class="page-head">
                <h2>"Invoices"</h2>
                <a href=filter_link("/admin/invoices")>"All invoices"</a>
            </div>
            <table>
                <thead><tr><th>"Number"</th><th>"Status"</th><th>"Date"</th><th class="num">"Total"</th><th></th></tr></thead>
                <tbody>
                    {member.invoices.into_iter().map(|i| {
                        let label = i.status_label();
                        view! {
                            <tr>
                                <td>{i.number.clone().unwrap_or_else(|| i.id.clone())}</td>
                                <td><span class=state_class(label)>{label}</span></td>
                                <td class="nowrap">{i.created.format("%Y-%m-%d").to_string()}</td>
                                <td class="num">{i.total.to_string()}</td>
                                <td><a href=i.pdf_url rel="external">"Download"</a></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
        <section class="card table-card">
            <div class="page-head">
                <h2>"Payments"</h2>
                <a href=filter_link("/admin/payments")>"Refund or see all payments"</a>
            </div>
            <table>
                <thead><tr><th>"Date"</th><th>"State"</th><th class="num">"Amount"</th><th class="num">"Refunded"</th><th>"Card"</th></tr></thead>
                <tbody>
                    {member.payments.into_iter().map(|p| {
                        let label = p.state.label();
                        view! {
                            <tr>
                                <td class="nowrap">{p.created.format("%Y-%m-%d").to_string()}</td>
                                <td><span class=state_class(label)>{label}</span></td>
                                <td class="num">{p.amount.to_string()}</td>
                                <td class="num">{p.refunded.to_string()}</td>
                                <td>{or_dash(p.method)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
        <section class="card table-card">
            <h2>"Events"</h2>
            <table>
                <thead><tr><th>"When"</th><th>"Event"</th><th>"Object"</th><th>"Status"</th></tr></thead>
                <tbody>
                    {member.events.into_iter().map(|e| view! {
                        <tr>
                            <td class="nowrap">{e.created.format("%Y-%m-%d %H:%M").to_string()}</td>
                            <td><code>{e.type_}</code></td>
                            <td><code>{e.object_id.unwrap_or_default()}</code></td>
                            <td>{e.status}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn SubscriptionCard(sub: MemberSubscriptionView, actions: Actions) -> impl IntoView {
    let row = sub.row.clone();
    let label = status_label(&row.status, row.cancel_at_period_end);
    let id = row.id.clone();
    let live = sub.is_live();
    let cancel = {
        let id = id.clone();
        move |when: CancelWhen| {
            let id = id.clone();
            move |_| {
                actions.cancel.dispatch(AdminCancelSubscription {
                    id: id.clone(),
                    when,
                });
            }
        }
    };
    let cancel_end = cancel(CancelWhen::PeriodEnd);
    let resume = {
        let id = id.clone();
        move |_| {
            actions
                .resume
                .dispatch(AdminResumeSubscription { id: id.clone() });
        }
    };
    let ask_cancel_now = {
        let id = id.clone();
        move |_| actions.confirming.set(Some(id.clone()))
    };
    let cancel_now = cancel(CancelWhen::Now);
    let confirming = {
        let id = id.clone();
        move || actions.confirming.get().as_deref() == Some(id.as_str())
    };
    let pending = move || actions.cancel.pending().get() || actions.resume.pending().get();
    view! {
        <article class="subscription" data-testid="subscription">
            <div class="page-head">
                <h3>{row.plan.clone().unwrap_or_else(|| "Plan".into())} " "
                    <span class=state_class(label) data-testid="subscription-status">{label}</span></h3>
                <a href=sub.dashboard_url.clone() target="_blank" rel="noopener noreferrer">"Open in Stripe"</a>
            </div>
            <dl class="facts">
                <dt>"Subscription"</dt><dd><code>{id.clone()}</code></dd>
                <dt>"Monthly value"</dt><dd>{or_dash(row.mrr.as_ref())}</dd>
                <dt>"Started"</dt><dd>{day(row.created)}</dd>
                <dt>{if row.cancel_at_period_end { "Ends" } else { "Renews" }}</dt><dd>{day(row.current_period_end)}</dd>
                {sub.trial_end.map(|t| view! { <dt>"Trial ends"</dt><dd>{t.format("%Y-%m-%d").to_string()}</dd> })}
                {row.ended_at.map(|t| view! { <dt>"Ended"</dt><dd>{t.format("%Y-%m-%d").to_string()}</dd> })}
            </dl>
            {live.then(|| view! {
                <div class="actions">
                    {if row.cancel_at_period_end {
                        view! { <button class="button" on:click=resume disabled=pending>"Resume"</button> }.into_any()
                    } else {
                        view! { <button class="button" on:click=cancel_end disabled=pending>"Cancel at period end"</button> }.into_any()
                    }}
                    <Show when=confirming.clone() fallback=move || view! {
                        <button class="button danger" on:click=ask_cancel_now.clone()>"Cancel now…"</button>
                    }>
                        <span class="confirm">
                            "Access ends immediately. "
                            <button class="button danger" on:click=cancel_now.clone() disabled=pending>"Yes, cancel now"</button>
                            <button class="button secondary" on:click=move |_| actions.confirming.set(None)>"Keep it"</button>
                        </span>
                    </Show>
                </div>
            })}
            <details>
                <summary>{format!("History ({})", sub.history.len())}</summary>
                <ol class="history">
                    {sub.history.into_iter().map(|h| view! {
                        <li><span class="nowrap">{h.at.format("%Y-%m-%d %H:%M").to_string()}</span> " " {h.what}</li>
                    }).collect_view()}
                </ol>
            </details>
        </article>
    }
}

#[component]
fn GrantPanel(
    user_id: Uuid,
    grants: Vec<crate::model::GrantView>,
    action: ServerAction<GrantAccess>,
) -> impl IntoView {
    let until = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let error = move || action.value().get().and_then(Result::err);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        action.dispatch(GrantAccess {
            form: GrantForm {
                user_id,
                until: until.get_untracked(),
                reason: reason.get_untracked(),
            },
        });
    };
    view! {
        {(!grants.is_empty()).then(|| view! {
            <ul class="grants">
                {grants.into_iter().map(|g| view! {
                    <li>
                        {format!("Until {} — {}", g.until.format("%Y-%m-%d"), g.reason)}
                        <span class="muted small">{format!(
                            " (by {}, {})",
                            g.granted_by.unwrap_or_else(|| "a former admin".into()),
                            g.created_at.format("%Y-%m-%d")
                        )}</span>
                    </li>
                }).collect_view()}
            </ul>
        })}
        <details>
            <summary>"Extend access by hand"</summary>
            <form class="inline-form" on:submit=submit>
                <label>
                    "Access until (inclusive)"
                    <input type="date" name="until" required
                        on:input=move |ev| until.set(event_target_value(&ev)) prop:value=until/>
                </label>
                <FieldError error=Signal::derive(error) field="until"/>
                <label>
                    "Reason (kept in the audit log)"
                    <input type="text" name="reason" required maxlength="500"
                        on:input=move |ev| reason.set(event_target_value(&ev)) prop:value=reason/>
                </label>
                <FieldError error=Signal::derive(error) field="reason"/>
                <button class="button primary" type="submit" disabled=move || action.pending().get()>
                    "Grant access"
                </button>
            </form>
        </details>
    }
}
