//! Plans: what the member can buy, with a Monthly/Yearly switch. Buying opens Stripe Checkout;
//! a member who has a plan switches instead, after seeing what the switch costs.

use crate::api::billing::{get_plans, preview_switch, start_checkout, switch_plan};
use crate::components::error_view::{ErrorView, FormError};
use crate::components::redirect::follow_redirect;
use crate::model::{AppError, ChangePreview, Offer, PlanInterval, PlansPage, ProductKind};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

#[component]
pub fn Plans() -> impl IntoView {
    let plans = Resource::new(|| (), |_| get_plans());
    let interval = RwSignal::new(PlanInterval::Month);
    let canceled =
        move || use_query_map().with(|q| q.get("checkout").as_deref() == Some("canceled"));
    let buy = Action::new(|price_id: &String| start_checkout(price_id.clone()));
    follow_redirect(buy);
    view! {
        <Title text="Plans"/>
        <h1>"Plans"</h1>
        <Show when=canceled>
            <p class="notice" role="status" data-testid="checkout-canceled">
                "Checkout was canceled. Nothing was charged and nothing changed."
            </p>
        </Show>
        <div class="switch" role="group" aria-label="Billing interval">
            <button
                class="button"
                class:selected=move || interval.get() == PlanInterval::Month
                aria-pressed=move || (interval.get() == PlanInterval::Month).to_string()
                on:click=move |_| interval.set(PlanInterval::Month)
            >"Monthly"</button>
            <button
                class="button"
                class:selected=move || interval.get() == PlanInterval::Year
                aria-pressed=move || (interval.get() == PlanInterval::Year).to_string()
                on:click=move |_| interval.set(PlanInterval::Year)
            >"Yearly"</button>
        </div>
        <FormError error=Signal::derive(move || buy.value().get().and_then(Result::err))/>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                {move || Suspend::new(async move {
                    plans.await.map(|page| view! { <Catalog page interval buy/> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn Catalog(
    page: PlansPage,
    interval: RwSignal<PlanInterval>,
    buy: Action<String, Result<crate::model::Redirect, AppError>>,
) -> impl IntoView {
    let PlansPage {
        offers,
        tax_note,
        subscription_id,
        current_price_id,
        currency,
    } = page;
    let has_plan = current_price_id.is_some();
    let subscription = subscription_id.unwrap_or_default();
    let sub_for_preview = subscription.clone();
    let preview = Action::new(move |price_id: &String| {
        preview_switch(sub_for_preview.clone(), price_id.clone())
    });
    let (plans, others): (Vec<Offer>, Vec<Offer>) = offers
        .into_iter()
        .partition(|o| o.kind == ProductKind::Plan);
    let tax_note = StoredValue::new(tax_note);
    let current = StoredValue::new(current_price_id);
    let currency = StoredValue::new(currency);
    view! {
        <section class="offers">
            {plans.into_iter().map(|offer| {
                let offer = StoredValue::new(offer);
                view! {
                    <article class="card offer" data-testid="plan">
                        <h2>{offer.with_value(|o| o.name.clone())}</h2>
                        <p class="muted">{offer.with_value(|o| o.description.clone())}</p>
                        {offer.with_value(|o| o.trial_days).map(|d| view! {
                            <p class="badge">{format!("{d}-day free trial")}</p>
                        })}
                        {move || {
                            let wanted = interval.get();
                            let price = offer.with_value(|o| {
                                o.prices.iter()
                                    .filter(|p| p.interval == Some(wanted))
                                    .find(|p| currency.with_value(|c| c.as_deref().is_none_or(|c| p.amount.currency.code() == c)))
                                    .cloned()
                            });
                            match price {
                                None => view! { <p class="muted">"Not offered at this interval."</p> }.into_any(),
                                Some(price) => {
                                    let id = price.price_id.clone();
                                    let is_current = current.with_value(|c| c.as_deref() == Some(id.as_str()));
                                    let id_for_click = id.clone();
                                    view! {
                                        <p class="price">
                                            <strong>{price.amount.to_string()}</strong>
                                            " " {wanted.per()} " "
                                            <span class="muted">{tax_note.get_value()}</span>
                                        </p>
                                        {if is_current {
                                            view! { <p class="badge">"Your current plan"</p> }.into_any()
                                        } else if has_plan {
                                            view! {
                                                <button class="button" on:click=move |_| { preview.dispatch(id_for_click.clone()); }>
                                                    "Switch to this plan"
                                                </button>
                                            }.into_any()
                                        } else {
                                            view! {
                                                <button class="button primary" disabled=move || buy.pending().get()
                                                    on:click=move |_| { buy.dispatch(id_for_click.clone()); }>
                                                    "Subscribe"
                                                </button>
                                            }.into_any()
                                        }}
                                    }.into_any()
                                }
                            }
                        }}
                    </article>
                }
            }).collect_view()}
        </section>
        <SwitchPreview preview subscription/>
        {(!others.is_empty()).then(|| view! {
            <h2>"Top-ups and tickets"</h2>
            <section class="offers">
                {others.into_iter().map(|offer| view! { <OneOff offer buy tax_note=tax_note.get_value()/> }).collect_view()}
            </section>
        })}
    }
}

#[component]
fn OneOff(
    offer: Offer,
    buy: Action<String, Result<crate::model::Redirect, AppError>>,
    tax_note: String,
) -> impl IntoView {
    let sold_out = offer.sold_out();
    view! {
        <article class="card offer" data-testid="one-off">
            <h3>{offer.name.clone()}</h3>
            <p class="muted">{offer.description.clone()}</p>
            {offer.grants.clone().map(|g| view! { <p>{format!("Gives {g}.")}</p> })}
            {offer.remaining.filter(|n| *n > 0).map(|n| view! { <p class="muted">{format!("{n} left")}</p> })}
            {offer.prices.into_iter().map(|price| {
                let id = price.price_id.clone();
                let per = price.interval.map(|i| format!(" {}", i.per())).unwrap_or_default();
                view! {
                    <p class="price">
                        <strong>{price.amount.to_string()}</strong>{per} " "
                        <span class="muted">{tax_note.clone()}</span>
                    </p>
                    <button class="button primary" disabled=move || sold_out || buy.pending().get()
                        on:click=move |_| { buy.dispatch(id.clone()); }>
                        {if sold_out { "Sold out" } else if offer.kind == ProductKind::TopUp { "Top up" } else { "Buy" }}
                    </button>
                }
            }).collect_view()}
        </article>
    }
}

/// The cost of a switch, and the button that makes it.
#[component]
fn SwitchPreview(
    preview: Action<String, Result<ChangePreview, AppError>>,
    subscription: String,
) -> impl IntoView {
    let switch =
        Action::new(move |price_id: &String| switch_plan(subscription.clone(), price_id.clone()));
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(_)) = switch.value().get() {
            navigate("/billing?changed=1", Default::default());
        }
    });
    view! {
        {move || preview.value().get().map(|result| match result {
            Err(e) => view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }.into_any(),
            Ok(p) => {
                let price_id = p.price_id.clone();
                let when = if p.charged_now {
                    "Charged now; your new period starts today.".to_owned()
                } else {
                    format!("Added to your next invoice on {}.", p.date.map(|d| d.format("%B %-d, %Y").to_string()).unwrap_or_default())
                };
                view! {
                    <section class="card preview" data-testid="switch-preview" aria-live="polite">
                        <h2>{format!("Switch to {} {}", p.product, p.interval.map(|i| i.per()).unwrap_or_default())}</h2>
                        <table>
                            <tbody>
                                {p.lines.into_iter().map(|l| view! {
                                    <tr><td>{l.description}</td><td class="amount">{l.amount.to_string()}</td></tr>
                                }).collect_view()}
                                {(p.tax.amount_minor != 0).then(|| view! {
                                    <tr><td>"Tax"</td><td class="amount">{p.tax.to_string()}</td></tr>
                                })}
                                <tr class="total"><td>"Amount due"</td><td class="amount" data-testid="amount-due">{p.amount_due.to_string()}</td></tr>
                            </tbody>
                        </table>
                        <p class="muted">{when}</p>
                        <button class="button primary" disabled=move || switch.pending().get()
                            on:click=move |_| { switch.dispatch(price_id.clone()); }>
                            "Confirm switch"
                        </button>
                        {move || switch.value().get().and_then(Result::err).map(|e| view! {
                            <div class="alert alert-error" role="alert">{e.to_string()}</div>
                        })}
                    </section>
                }.into_any()
            }
        })}
    }
}
