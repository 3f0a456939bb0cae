//! Leaving for Stripe: Checkout, the portal.

use crate::model::{AppError, Redirect};
use leptos::prelude::*;

/// Sends the browser to the URL `action` answers with.
pub fn follow_redirect<I: Send + Sync + 'static>(action: Action<I, Result<Redirect, AppError>>) {
    Effect::new(move |_| {
        if let Some(Ok(redirect)) = action.value().get() {
            let _ = window().location().set_href(&redirect.url);
        }
    });
}
