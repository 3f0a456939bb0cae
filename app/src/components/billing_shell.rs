use crate::components::auth::SignOut;
use crate::components::guard::{Guard, RequiredRole};
use crate::model::CurrentUser;
use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

/// The member area's frame. Only the signed-in member gets past the guard.
#[component]
pub fn BillingShell() -> impl IntoView {
    view! {
        <Guard role=RequiredRole::Member children=|user: CurrentUser| view! {
            <div class="shell member">
                <header class="topbar">
                    <a class="brand" href="/billing">"Paydesk"</a>
                    <nav aria-label="Billing">
                        <A href="/billing" exact=true>"Overview"</A>
                        <A href="/billing/plans">"Plans"</A>
                        <A href="/billing/invoices">"Invoices"</A>
                        <A href="/billing/payment-methods">"Payment methods"</A>
                        <A href="/billing/address">"Address"</A>
                    </nav>
                    <div class="whoami">
                        <span class="muted">{user.name}</span>
                        <SignOut/>
                    </div>
                </header>
                <main class="content narrow">
                    <Outlet/>
                </main>
            </div>
        }/>
    }
}
