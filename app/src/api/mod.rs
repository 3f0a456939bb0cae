//! Server functions only, each thin: context -> authorise -> call the backend -> DTO.
//! Every one passes its result through `context::respond` so failures carry their HTTP status.

pub mod admin;
pub mod auth;
pub mod billing;
pub mod catalog;
pub mod events;
pub mod invoices;
pub mod settings;
