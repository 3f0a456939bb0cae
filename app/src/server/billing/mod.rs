//! The rules: settings, catalog sync, Stripe events and the access they grant. No leptos or
//! axum here, so each rule can be tested against a real Postgres and the Stripe emulator alone.

pub mod access;
pub mod api_tokens;
pub mod audit;
pub mod catalog;
pub mod console;
pub mod events;
pub mod invites;
pub mod invoices;
pub mod member;
pub mod payments;
pub mod receipts;
pub mod recurring;
pub mod settings;
