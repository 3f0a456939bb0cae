//! Security headers on every answer: no caching of anything but the hashed static files,
//! HSTS when the site is served over https, and a locked-down Content-Security-Policy for
//! whatever is not a page (pages set their own, with the nonce of their hydration scripts:
//! `app::server::page_headers`).

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;

/// Where the site's static files are served; everything else is dynamic.
const STATIC_PREFIX: &str = "/pkg/";
/// Two years, Chrome's preload list's minimum.
const HSTS: &str = "max-age=63072000; includeSubDomains";
/// For JSON, PDFs and errors: nothing may load, and nobody may frame it.
const NON_PAGE_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

#[derive(Debug, Clone, Copy)]
pub struct HeaderPolicy {
    /// The public URL is https, so browsers must never come back over plain http.
    pub https: bool,
}

pub async fn add_security_headers(
    State(policy): State<Arc<HeaderPolicy>>,
    request: Request,
    next: Next,
) -> Response {
    let dynamic = !request.uri().path().starts_with(STATIC_PREFIX);
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if dynamic {
        // Signed-in pages, server-function answers and invoice PDFs carry a member's data:
        // neither the browser's back-forward cache nor a shared proxy may keep them.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(NON_PAGE_CSP),
        );
    }
    if policy.https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    response
}

/// Where browsers report what a page's policy blocked (`report-uri`).
pub const CSP_REPORT_PATH: &str = "/csp-report";
/// A report is a few hundred bytes; anything bigger is not read.
const CSP_REPORT_LIMIT: usize = 16 * 1024;

/// Logs a browser's report of a policy violation, so a page that breaks its own policy shows in
/// the server log (the end-to-end run fails on one). Only the fields that say what was blocked
/// are logged, each cut short: anyone can post here.
pub async fn csp_report(body: axum::body::Body) -> axum::http::StatusCode {
    let Ok(bytes) = axum::body::to_bytes(body, CSP_REPORT_LIMIT).await else {
        return axum::http::StatusCode::PAYLOAD_TOO_LARGE;
    };
    let report: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    let report = &report["csp-report"];
    let field = |name: &str| -> String {
        report[name]
            .as_str()
            .unwrap_or("")
            .chars()
            .take(200)
            .collect()
    };
    tracing::warn!(
        document = %field("document-uri"),
        directive = %field("violated-directive"),
        blocked = %field("blocked-uri"),
        "CSP violation reported"
    );
    axum::http::StatusCode::NO_CONTENT
}
