use crate::api::billing::get_billing_overview;
use crate::components::error_view::ErrorView;
use crate::components::product_table::ProductTable;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn Overview() -> impl IntoView {
    let overview = Resource::new(|| (), |_| get_billing_overview());
    view! {
        <Title text="Billing"/>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                {move || Suspend::new(async move {
                    overview.await.map(|o| view! {
                        <h1>{format!("Welcome, {}", o.member.name)}</h1>
                        <section class="card">
                            <h2>"Your plan"</h2>
                            <p data-testid="plan-status">{o.access.describe()}</p>
                            {o.access.action.map(|a| {
                                let (text, label) = if a.kind == "authenticate" {
                                    ("Your bank asks you to confirm the last payment.", "Confirm payment")
                                } else {
                                    ("The last payment failed.", "Fix payment")
                                };
                                view! {
                                    <p class="warning" role="alert" data-testid="payment-action">
                                        {text} " "
                                        {a.url.map(|url| view! { <a href=url rel="noopener">{label}</a> })}
                                    </p>
                                }
                            })}
                            <dl class="facts">
                                <dt>"Email"</dt><dd>{o.member.email}</dd>
                                <dt>"Member since"</dt>
                                <dd>{o.member.created_at.format("%B %-d, %Y").to_string()}</dd>
                            </dl>
                        </section>
                        <section class="card">
                            <h2>"Plans on offer"</h2>
                            <ProductTable products=o.plans/>
                        </section>
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}
