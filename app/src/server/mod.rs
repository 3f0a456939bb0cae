//! The backend proper (ssr only): rules, SQL, and the request context server functions use.
//! Nothing here imports UI code.

pub mod accounts;
pub mod context;
pub mod db;
pub mod error;
pub mod passwords;

use sqlx::PgPool;

/// What every server function and route can reach. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    pub pool: PgPool,
}
