use crate::model::{Access, AppError, CurrentUser, ProductSummary};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingOverview {
    pub member: CurrentUser,
    /// What the member could buy: active products only.
    pub plans: Vec<ProductSummary>,
    pub access: Access,
}

#[server(prefix = "/rpc", endpoint = "billing/overview")]
pub async fn get_billing_overview() -> Result<BillingOverview, AppError> {
    use crate::model::Role;
    use crate::server::billing::access::member_access;
    use crate::server::error::OrInternal;
    use crate::server::{context, db};
    context::respond(
        async move {
            let state = context::app_state()?;
            let member = context::require_role(Role::Member).await?;
            let mode = state.mode().await?;
            let plans = db::catalog::list_products(&state.pool, &mode, true)
                .await
                .or_internal("list products")?;
            let access = member_access(&state.pool, member.id, &mode, state.access)
                .await
                .or_internal("derive access")?;
            Ok(BillingOverview {
                member,
                plans,
                access,
            })
        }
        .await,
    )
}
