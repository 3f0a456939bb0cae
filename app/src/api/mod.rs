//! Server functions only, each thin: context -> authorise -> call the backend -> DTO.
//! Every one passes its result through `context::respond` so failures carry their HTTP status.

/// Runs `$call` for the signed-in admin, with the error's HTTP status.
#[cfg(feature = "ssr")]
macro_rules! as_admin {
    (|$admin:ident, $state:ident| $call:expr) => {{
        use crate::server::context;
        context::respond(
            async move {
                let ($admin, $state) = context::require_admin().await?;
                $call.await
            }
            .await,
        )
    }};
}

pub mod admin;
pub mod auth;
pub mod billing;
pub mod catalog;
pub mod console;
pub mod events;
pub mod invoices;
pub mod settings;
