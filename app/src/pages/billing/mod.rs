pub mod address;
pub mod invoices;
pub mod overview;
pub mod payment_methods;
pub mod plans;
pub mod success;
