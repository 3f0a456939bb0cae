//! The `paydesk` server: configuration, start-up, plain HTTP routes, the event worker, and
//! the demo.

pub mod chores;
pub mod config;
pub mod demo;
pub mod demo_seed;
pub mod demo_stripe;
pub mod embedded_pg;
mod headers;
mod health;
mod invoices;
mod origin;
pub mod rest;
pub mod startup;
pub mod telemetry;
mod webhook;
pub mod worker;
