pub mod admin_shell;
pub mod auth;
pub mod billing_shell;
pub mod centered_card;
pub mod error_view;
pub mod guard;
pub mod product_table;
pub mod status;
