use crate::components::auth::SignOut;
use crate::components::guard::{Guard, RequiredRole};
use crate::model::CurrentUser;
use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

/// The admin console's frame: navigation and the signed-in admin. Only admins get past the
/// guard; the server functions behind each page check the role again on their own.
#[component]
pub fn AdminShell() -> impl IntoView {
    view! {
        <Guard role=RequiredRole::Admin children=|user: CurrentUser| view! {
            <div class="shell console">
                <aside class="sidebar">
                    <a class="brand" href="/admin">"Paydesk"<span class="badge">"Console"</span></a>
                    <nav aria-label="Console">
                        <A href="/admin" exact=true>"Dashboard"</A>
                        <A href="/admin/members">"Members"</A>
                        <A href="/admin/subscriptions">"Subscriptions"</A>
                        <A href="/admin/past-due">"Past due"</A>
                        <A href="/admin/products">"Plans & products"</A>
                        <A href="/admin/invoices">"Invoices"</A>
                        <A href="/admin/payments">"Payments"</A>
                        <A href="/admin/events">"Webhook events"</A>
                        <A href="/admin/api-tokens">"API tokens"</A>
                        <A href="/admin/audit">"Audit log"</A>
                        <A href="/admin/admins">"Admins"</A>
                        <A href="/admin/settings/stripe">"Payment platform"</A>
                        <A href="/admin/settings/invoices">"Invoice details"</A>
                    </nav>
                    <div class="whoami">
                        <span class="muted">{user.email}</span>
                        <SignOut/>
                    </div>
                </aside>
                <main class="content">
                    <Outlet/>
                </main>
            </div>
        }/>
    }
}
