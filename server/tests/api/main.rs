//! Integration tests: the whole app on port 0 against a fresh database in a throwaway cluster.

mod accounts;
mod audit;
mod catalog;
mod console;
mod events;
mod hardening;
mod helpers;
mod invoices;
mod limits;
mod member;
mod pages;
mod rest;
mod security;
mod settings;
mod stripe_ids;
mod webhooks;
