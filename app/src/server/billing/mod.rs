//! The rules: settings, catalog sync. No leptos or axum here, so each rule can be tested
//! against a real Postgres and the Stripe emulator alone.

pub mod catalog;
pub mod settings;
