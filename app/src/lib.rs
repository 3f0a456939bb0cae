//! Paydesk's leptos app: built for the browser with `hydrate` and for the server with `ssr`.
#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;

use components::auth::provide_auth;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    server::page_headers::set_page_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_auth();
    // Set only once the WASM has taken over the page; end-to-end tests wait for it.
    Effect::new(|_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });

    // Pages render fully before the response starts (`SsrMode::Async`) so a page can still
    // answer 403, 404 or a redirect after reading the session.
    view! {
        <Stylesheet id="leptos" href="/pkg/paydesk.css"/>
        <Title formatter=|page: String| format!("{page} · Paydesk")/>
        <Router>
            <Routes fallback=pages::not_found::NotFound>
                <Route path=path!("/") view=pages::home::Home ssr=SsrMode::Async/>
                <Route path=path!("/login") view=pages::login::Login ssr=SsrMode::Async/>
                <Route path=path!("/signup") view=pages::signup::SignUp ssr=SsrMode::Async/>
                <Route
                    path=path!("/invite/:token")
                    view=pages::invite::AcceptInvite
                    ssr=SsrMode::Async
                />
                <ParentRoute
                    path=path!("/admin")
                    view=components::admin_shell::AdminShell
                    ssr=SsrMode::Async
                >
                    <Route path=path!("") view=pages::admin::dashboard::Dashboard/>
                    <Route path=path!("members") view=pages::admin::members::Members/>
                    <Route path=path!("members/:id") view=pages::admin::member::MemberPage/>
                    <Route
                        path=path!("subscriptions")
                        view=pages::admin::subscriptions::Subscriptions
                    />
                    <Route path=path!("past-due") view=pages::admin::past_due::PastDue/>
                    <Route path=path!("admins") view=pages::admin::admins::Admins/>
                    <Route path=path!("products") view=pages::admin::products::Products/>
                    <Route path=path!("invoices") view=pages::admin::invoices::AdminInvoices/>
                    <Route path=path!("payments") view=pages::admin::payments::Payments/>
                    <Route path=path!("events") view=pages::admin::events::Events/>
                    <Route path=path!("api-tokens") view=pages::admin::api_tokens::ApiTokens/>
                    <Route path=path!("audit") view=pages::admin::audit::AuditLog/>
                    <Route
                        path=path!("settings/stripe")
                        view=pages::admin::settings_stripe::StripeSettings
                    />
                    <Route
                        path=path!("settings/invoices")
                        view=pages::admin::invoice_profile::InvoiceDetails
                    />
                </ParentRoute>
                <ParentRoute
                    path=path!("/billing")
                    view=components::billing_shell::BillingShell
                    ssr=SsrMode::Async
                >
                    <Route path=path!("") view=pages::billing::overview::Overview/>
                    <Route path=path!("plans") view=pages::billing::plans::Plans/>
                    <Route
                        path=path!("checkout/success")
                        view=pages::billing::success::CheckoutSuccess
                    />
                    <Route
                        path=path!("payment-methods")
                        view=pages::billing::payment_methods::PaymentMethods
                    />
                    <Route path=path!("address") view=pages::billing::address::Address/>
                    <Route path=path!("invoices") view=pages::billing::invoices::Invoices/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
