//! Server functions only, each thin: context -> authorise -> call the backend -> DTO.
//! Every one passes its result through `context::respond` so failures carry their HTTP status.

pub mod admin;
pub mod auth;
pub mod billing;

/// The catalog mode shown until Stripe settings choose one (test, as a fresh install is).
#[cfg(feature = "ssr")]
const CATALOG_MODE: &str = "test";
