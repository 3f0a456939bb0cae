//! Saved cards: make one the default, remove one, add one through Stripe Checkout.

use crate::api::billing::{add_card, list_cards, remove_card, set_default_card};
use crate::components::error_view::{ErrorView, FormError};
use crate::components::redirect::follow_redirect;
use crate::model::Card;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn PaymentMethods() -> impl IntoView {
    let make_default = Action::new(|id: &String| set_default_card(id.clone()));
    let remove = Action::new(|id: &String| remove_card(id.clone()));
    let add = Action::new(|_: &()| add_card());
    follow_redirect(add);
    let cards = Resource::new(
        move || (make_default.version().get(), remove.version().get()),
        |_| list_cards(),
    );
    let error = Signal::derive(move || {
        make_default
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| remove.value().get().and_then(Result::err))
            .or_else(|| add.value().get().and_then(Result::err))
    });
    view! {
        <Title text="Payment methods"/>
        <h1>"Payment methods"</h1>
        <FormError error/>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                {move || Suspend::new(async move {
                    cards.await.map(|cards| view! { <CardList cards make_default remove/> })
                })}
            </ErrorBoundary>
        </Transition>
        <p>
            <button class="button primary" disabled=move || add.pending().get()
                on:click=move |_| { add.dispatch(()); }>
                "Add a card"
            </button>
        </p>
    }
}

type CardAction = Action<String, Result<Vec<Card>, crate::model::AppError>>;

#[component]
fn CardList(cards: Vec<Card>, make_default: CardAction, remove: CardAction) -> impl IntoView {
    if cards.is_empty() {
        return view! { <p class="muted">"No saved cards yet."</p> }.into_any();
    }
    view! {
        <ul class="cards card">
            {cards.into_iter().map(|card| {
                let (for_default, for_remove) = (card.id.clone(), card.id.clone());
                view! {
                    <li data-testid="saved-card">
                        <span>{card.label()}</span>
                        {if card.is_default {
                            view! { <span class="badge">"Default"</span> }.into_any()
                        } else {
                            view! {
                                <button class="button" on:click=move |_| { make_default.dispatch(for_default.clone()); }>
                                    "Make default"
                                </button>
                            }.into_any()
                        }}
                        <button class="button danger" on:click=move |_| { remove.dispatch(for_remove.clone()); }>
                            "Remove"
                        </button>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}
