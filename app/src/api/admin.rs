use crate::model::{AppError, AuditEntry, AuditQuery, Page};
use leptos::prelude::*;

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
