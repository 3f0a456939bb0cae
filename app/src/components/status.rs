//! Lets a page choose its HTTP status while it renders on the server.

/// Sets the response status during server rendering; does nothing in the browser.
pub fn set_http_status(_code: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(options), Ok(status)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(_code),
    ) {
        options.set_status(status);
    }
}
