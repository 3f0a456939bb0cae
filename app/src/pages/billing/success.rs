//! Back from Checkout: what was bought, and access shown as pending until Stripe's webhook
//! has been applied. The page asks again every second and updates without a reload.

use crate::api::billing::get_checkout_status;
use crate::components::error_view::ErrorView;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// How long the page keeps asking before it says the confirmation is late.
const MAX_POLLS: u32 = 60;

#[component]
pub fn CheckoutSuccess() -> impl IntoView {
    let session_id = move || use_query_map().with(|q| q.get("session_id").unwrap_or_default());
    let polls = RwSignal::new(0u32);
    let status = Resource::new(
        move || (session_id(), polls.get()),
        |(id, _)| get_checkout_status(id),
    );
    // Ask again every second until confirmed; effects run only in the browser.
    Effect::new(move |_| {
        let tick = move || {
            let confirmed = status
                .get_untracked()
                .and_then(|r| r.ok())
                .is_some_and(|s| s.confirmed);
            if !confirmed && polls.get_untracked() < MAX_POLLS {
                polls.update(|n| *n += 1);
            }
        };
        if let Ok(handle) = set_interval_with_handle(tick, std::time::Duration::from_secs(1)) {
            on_cleanup(move || handle.clear());
        }
    });
    view! {
        <Title text="Thank you"/>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                {move || Suspend::new(async move {
                    status.await.map(|s| {
                        let title = if s.kind == "setup" {
                            "Card saved".to_owned()
                        } else {
                            format!("Thank you for buying {}", s.bought)
                        };
                        view! {
                            <h1>{title}</h1>
                            <section class="card" data-testid="checkout-status">
                                {if s.confirmed {
                                    view! {
                                        <p class="success" role="status" data-testid="confirmed">
                                            {match s.kind.as_str() {
                                                "setup" => "Your new card is saved.".to_owned(),
                                                "one_time" => format!("Your purchase of {} is confirmed.", s.bought),
                                                _ => s.access.describe(),
                                            }}
                                        </p>
                                    }.into_any()
                                } else if polls.get_untracked() >= MAX_POLLS {
                                    view! {
                                        <p class="warning" role="status">
                                            "Stripe has not confirmed the payment yet. Your access starts as soon as it does; you can leave this page."
                                        </p>
                                    }.into_any()
                                } else {
                                    view! {
                                        <p class="pending" role="status" data-testid="pending">
                                            "Payment received. Waiting for Stripe to confirm it: access is pending."
                                        </p>
                                    }.into_any()
                                }}
                                <p><a href=if s.kind == "setup" { "/billing/payment-methods" } else { "/billing" }>"Continue"</a></p>
                            </section>
                        }
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}
