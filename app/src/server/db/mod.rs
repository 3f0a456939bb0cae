//! SQL only: free functions over a pool, every statement checked at compile time.

pub mod catalog;
pub mod login_failures;
pub mod users;
