//! The flows that touch several resources at once: paying a Checkout session, billing a
//! subscription period, renewing on a clock, cancelling. Each emits the events Stripe emits, in
//! Stripe's order.

mod amounts;
mod changes;
pub mod discounts;
mod invoices;
pub mod line_tax;
mod preview;
mod renewals;
mod subscriptions;

pub use amounts::{compute_taxed, tax_rate_for_customer, Amounts};
pub use changes::{change_item, IfIncomplete, ItemChange, Proration};
pub use invoices::{
    create_invoice, finalize_invoice, pay_invoice, recompute_draft, InvoiceSpec, LineSpec,
    LOCATION_INVALID,
};
pub use preview::preview_change;
pub use renewals::run_due_renewals;
pub use subscriptions::{
    cancel_now, create_subscription, current_period, invoice_subscription,
    invoice_subscription_with, set_subscription_status, NewSubscription,
};
