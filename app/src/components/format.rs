//! How the console writes values that may be missing: a dash, never an empty cell.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use uuid::Uuid;

/// The value as text, or "—".
pub fn or_dash(value: Option<impl ToString>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| v.to_string())
}

/// "2026-11-23", or "—".
pub fn day(t: Option<DateTime<Utc>>) -> String {
    or_dash(t.map(|t| t.format("%Y-%m-%d")))
}

/// "2026-11-23 15:34", or "—".
pub fn minute(t: Option<DateTime<Utc>>) -> String {
    or_dash(t.map(|t| t.format("%Y-%m-%d %H:%M")))
}

/// A member's email, linked to their page in the console when they have an account.
#[component]
pub fn MemberLink(user_id: Option<Uuid>, email: Option<String>) -> impl IntoView {
    let email = or_dash(email);
    match user_id {
        Some(id) => view! { <a href=format!("/admin/members/{id}")>{email}</a> }.into_any(),
        None => view! { <span>{email}</span> }.into_any(),
    }
}
