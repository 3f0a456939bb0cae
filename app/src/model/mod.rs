//! Shared types: DTOs and validated newtypes. No I/O here; this module compiles for the browser too.

mod catalog;
mod error;
mod money;
mod user;

pub use catalog::{PlanInterval, PriceSummary, ProductKind, ProductSummary};
pub use error::AppError;
pub use money::{Currency, Money};
pub use user::{CurrentUser, DisplayName, EmailAddress, MemberSummary, Password, Role, SignUp};
