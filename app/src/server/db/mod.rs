//! SQL only: free functions over a pool, every statement checked at compile time.

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
pub mod rate_limits;
pub mod receipts;
pub mod settings;
pub mod stripe_state;
pub mod users;
