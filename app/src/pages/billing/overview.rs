//! The member's billing overview: access, the current plan with its renewal or end date,
//! amount and card, and the actions on it (cancel at period end, resume, change, portal).

use crate::api::billing::{
    cancel_subscription, get_billing_overview, open_portal, resume_subscription,
};
use crate::components::error_view::{ErrorView, FormError};
use crate::components::redirect::follow_redirect;
use crate::model::{MemberSubscription, PaymentAction};
use leptos::prelude::*;
use leptos_meta::Title;

fn date(d: Option<chrono::DateTime<chrono::Utc>>) -> String {
    d.map(|d| d.format("%B %-d, %Y").to_string())
        .unwrap_or_default()
}

#[component]
pub fn Overview() -> impl IntoView {
    let cancel = Action::new(|id: &String| cancel_subscription(id.clone()));
    let resume = Action::new(|id: &String| resume_subscription(id.clone()));
    let portal = Action::new(|_: &()| open_portal());
    follow_redirect(portal);
    let overview = Resource::new(
        move || (cancel.version().get(), resume.version().get()),
        |_| get_billing_overview(),
    );
    let action_error = Signal::derive(move || {
        cancel
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| resume.value().get().and_then(Result::err))
            .or_else(|| portal.value().get().and_then(Result::err))
    });
    view! {
        <Title text="Billing"/>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                {move || Suspend::new(async move {
                    overview.await.map(|o| view! {
                        <h1>{format!("Welcome, {}", o.name)}</h1>
                        {o.notice.map(|n| view! { <p class="notice" role="status">{n}</p> })}
                        {o.access.action.clone().map(|a| view! { <PaymentActionBanner action=a/> })}
                        <section class="card">
                            <h2>"Your plan"</h2>
                            <p data-testid="plan-status">{o.access.describe()}</p>
                            {match o.subscription {
                                Some(sub) => view! { <SubscriptionFacts sub cancel resume/> }.into_any(),
                                None => view! {
                                    <p><a class="button primary" href="/billing/plans">"See plans"</a></p>
                                }.into_any(),
                            }}
                            <FormError error=action_error/>
                        </section>
                        <section class="card">
                            <h2>"Account"</h2>
                            <dl class="facts">
                                <dt>"Email"</dt><dd>{o.email}</dd>
                                <dt>"Member since"</dt>
                                <dd>{o.member_since.format("%B %-d, %Y").to_string()}</dd>
                            </dl>
                            <p class="actions">
                                <a href="/billing/payment-methods">"Payment methods"</a>
                                <a href="/billing/address">"Billing address and Tax ID"</a>
                                <button class="button" disabled=move || portal.pending().get()
                                    on:click=move |_| { portal.dispatch(()); }>
                                    "Open customer portal"
                                </button>
                            </p>
                        </section>
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn PaymentActionBanner(action: PaymentAction) -> impl IntoView {
    let (text, label) = match action.kind.as_str() {
        "authenticate" => (
            "Your bank asks you to confirm the last payment.",
            "Confirm payment",
        ),
        "fix_address" => (
            "Your renewal is on hold: Stripe does not recognise your billing address.",
            "Fix address",
        ),
        _ => (
            "The last payment failed. Please update your card or pay the open invoice.",
            "Fix payment",
        ),
    };
    view! {
        <p class="banner warning" role="alert" data-testid="payment-action">
            {text} " "
            {action.url.map(|url| view! { <a class="button" href=url rel="noopener">{label}</a> })}
        </p>
    }
}

#[component]
fn SubscriptionFacts(
    sub: MemberSubscription,
    cancel: Action<String, Result<MemberSubscription, crate::model::AppError>>,
    resume: Action<String, Result<MemberSubscription, crate::model::AppError>>,
) -> impl IntoView {
    let id = sub.id.clone();
    let ending = sub.cancel_at_period_end;
    let status = match (sub.status.as_str(), ending) {
        ("active", true) => "Canceled; active until the period ends".to_owned(),
        ("active", false) => "Active".to_owned(),
        ("trialing", _) => "Free trial".to_owned(),
        ("past_due", _) => "Past due".to_owned(),
        ("canceled", _) => "Canceled".to_owned(),
        (other, _) => other.replace('_', " "),
    };
    let date_label = if ending { "Ends on" } else { "Renews on" };
    let confirming = RwSignal::new(false);
    view! {
        <dl class="facts" data-testid="subscription">
            <dt>"Plan"</dt><dd>{sub.product.clone()}</dd>
            <dt>"Status"</dt><dd data-testid="subscription-status">{status}</dd>
            <dt>"Amount"</dt>
            <dd>{format!("{} {}", sub.amount, sub.interval.map(|i| i.per()).unwrap_or_default())}</dd>
            {sub.trial_end.filter(|_| sub.status == "trialing").map(|t| view! {
                <dt>"Trial ends"</dt><dd>{date(Some(t))}</dd>
            })}
            <dt>{date_label}</dt><dd data-testid="period-end">{date(sub.current_period_end)}</dd>
            <dt>"Payment method"</dt>
            <dd>{sub.card.map(|c| c.label()).unwrap_or_else(|| "None saved".to_owned())}</dd>
        </dl>
        {sub.pending_change.map(|p| view! {
            <p class="warning">{format!("Your switch to {p} waits for its payment.")}</p>
        })}
        <p class="actions">
            {if ending {
                let id = id.clone();
                view! {
                    <button class="button primary" disabled=move || resume.pending().get()
                        on:click=move |_| { resume.dispatch(id.clone()); }>
                        "Resume plan"
                    </button>
                }.into_any()
            } else {
                let id = id.clone();
                view! {
                    <a class="button" href="/billing/plans">"Change plan"</a>
                    <Show
                        when=move || confirming.get()
                        fallback=move || view! {
                            <button class="button danger" on:click=move |_| confirming.set(true)>
                                "Cancel plan"
                            </button>
                        }
                    >
                        {
                            let id = id.clone();
                            view! {
                                <span class="confirm">
                                    "Cancel at the end of this period? You keep access until then. "
                                    <button class="button danger" disabled=move || cancel.pending().get()
                                        on:click=move |_| { cancel.dispatch(id.clone()); }>
                                        "Yes, cancel at period end"
                                    </button>
                                    <button class="button" on:click=move |_| confirming.set(false)>"Keep my plan"</button>
                                </span>
                            }
                        }
                    </Show>
                }.into_any()
            }}
        </p>
    }
}
