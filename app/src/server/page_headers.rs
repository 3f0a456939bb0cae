//! The Content-Security-Policy of every page. Scripts run only from this site and only the
//! inline hydration scripts leptos stamps with this response's nonce; the WASM may compile
//! (`wasm-unsafe-eval`, not `unsafe-eval`); styles only from the site's stylesheet, so no inline
//! `style` or `on*` attribute can run. Everything that is not a page gets a stricter default
//! from the server's header middleware.

use http::header::CONTENT_SECURITY_POLICY;
use http::HeaderValue;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

/// Sets the policy on the response being rendered. Called from the document shell, so every
/// page (and the not-found page) has it.
pub fn set_page_policy() {
    let Some(options) = use_context::<ResponseOptions>() else {
        return;
    };
    let nonce = leptos::nonce::use_nonce()
        .map(|nonce| format!(" 'nonce-{nonce}'"))
        .unwrap_or_default();
    let policy = format!(
        "default-src 'self'; script-src 'self'{nonce} 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'; report-uri /csp-report"
    );
    match HeaderValue::from_str(&policy) {
        Ok(value) => options.insert_header(CONTENT_SECURITY_POLICY, value),
        Err(_) => tracing::error!("the page policy is not a header value"),
    }
}
