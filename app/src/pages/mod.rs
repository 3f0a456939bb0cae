//! One page per file.

pub mod admin;
pub mod billing;
pub mod home;
pub mod invite;
pub mod login;
pub mod not_found;
pub mod signup;
