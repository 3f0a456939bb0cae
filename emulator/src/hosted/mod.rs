//! Server-rendered stand-ins for Stripe's hosted pages. Plain HTML forms, no script, so they work
//! in any browser and in tests that post the form directly.

pub mod checkout;
pub mod invoice;
mod pdf;
pub mod portal;
mod tax_lines;

/// A 303 to `location`. The success URL comes from whoever made the Checkout Session, so a value
/// that cannot be a header is answered with a 400 page instead of axum's `Redirect`, which
/// panics on one.
pub fn see_other(location: &str) -> axum::response::Response {
    use axum::http::{header, HeaderValue, StatusCode};
    use axum::response::{Html, IntoResponse};
    match HeaderValue::try_from(location) {
        Ok(value) => (StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response(),
        Err(_) => (
            StatusCode::BAD_REQUEST,
            Html(page(
                "Cannot return",
                "<h1>Payment done</h1><p>The page to return to is not a valid URL.</p>",
            )),
        )
            .into_response(),
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body><main>{body}</main>\
         <footer>Stripe emulator: test mode, no real money moves.</footer></body></html>",
        esc(title)
    )
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f6f9fc;color:#1a1f36;margin:0}\
main{max-width:34rem;margin:2rem auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 2px 8px #0001}\
table{width:100%;border-collapse:collapse}td{padding:.4rem 0}td.amount{text-align:right}\
tr.total td{font-weight:bold;border-top:1px solid #ddd}label{display:block;margin-top:.8rem;font-size:.9rem}\
input{width:100%;padding:.5rem;box-sizing:border-box;border:1px solid #ccd;border-radius:4px}\
button{margin-top:1.2rem;width:100%;padding:.7rem;background:#635bff;color:#fff;border:0;border-radius:4px;font-size:1rem}\
button.secondary{background:#e3e8ee;color:#1a1f36}.error{color:#df1b41;font-weight:bold}.row{display:flex;gap:.5rem}\
footer{text-align:center;color:#697386;font-size:.8rem;margin-bottom:2rem}";
