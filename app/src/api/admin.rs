use crate::model::{AppError, AuditEntry, AuditQuery, MemberSummary, Page, ProductSummary};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminOverview {
    pub admins: i64,
    pub members: i64,
    pub members_last_30_days: i64,
    pub newest_accounts: Vec<MemberSummary>,
    pub products: Vec<ProductSummary>,
}

#[server(prefix = "/rpc", endpoint = "admin/overview")]
pub async fn get_admin_overview() -> Result<AdminOverview, AppError> {
    use crate::server::error::OrInternal;
    use crate::server::{context, db};
    context::respond(
        async move {
            let (_, state) = context::require_admin().await?;
            let mode = state.mode().await?;
            let counts = db::users::role_counts(&state.pool)
                .await
                .or_internal("count accounts")?;
            let newest_accounts = db::users::newest(&state.pool, 10)
                .await
                .or_internal("list newest accounts")?;
            let products = db::catalog::list_products(&state.pool, &mode, false)
                .await
                .or_internal("list products")?;
            Ok(AdminOverview {
                admins: counts.admins,
                members: counts.members,
                members_last_30_days: counts.members_last_30_days,
                newest_accounts,
                products,
            })
        }
        .await,
    )
}

/// The audit log, newest first: who did what, when, to what, with before/after of what changed.
#[server(prefix = "/rpc", endpoint = "admin/audit")]
pub async fn get_audit_log(query: AuditQuery) -> Result<Page<AuditEntry>, AppError> {
    use crate::server::context;
    context::respond(
        async move {
            let (_, state) = context::require_admin().await?;
            crate::server::billing::audit::page(&state, &query).await
        }
        .await,
    )
}
