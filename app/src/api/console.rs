//! The console's dashboard, members, subscriptions, dunning and admins. Everything here refuses
//! anyone but an admin, except the two invitation functions an invitee uses with the link's
//! secret.

use crate::model::{
    AdminsPage, AppError, CancelWhen, CreatedInvite, Dashboard, GrantForm, InviteForm,
    MemberDetail, MemberQuery, MemberRow, Page, PastDuePage, SubscriptionQuery, SubscriptionRow,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[server(prefix = "/rpc", endpoint = "admin/dashboard")]
pub async fn get_dashboard() -> Result<Dashboard, AppError> {
    as_admin!(|_admin, state| crate::server::billing::console::dashboard(&state))
}

#[server(prefix = "/rpc", endpoint = "admin/members")]
pub async fn get_members(query: MemberQuery) -> Result<Page<MemberRow>, AppError> {
    as_admin!(|_admin, state| crate::server::billing::console::members(&state, &query))
}

#[server(prefix = "/rpc", endpoint = "admin/member")]
pub async fn get_member(id: Uuid) -> Result<MemberDetail, AppError> {
    as_admin!(|_admin, state| crate::server::billing::console::member_detail(&state, id))
}

#[server(prefix = "/rpc", endpoint = "admin/subscriptions")]
pub async fn get_subscriptions(
    query: SubscriptionQuery,
) -> Result<Page<SubscriptionRow>, AppError> {
    as_admin!(|_admin, state| crate::server::billing::console::subscriptions(&state, &query))
}

#[server(prefix = "/rpc", endpoint = "admin/past-due")]
pub async fn get_past_due(after: Option<String>) -> Result<PastDuePage, AppError> {
    as_admin!(|_admin, state| crate::server::billing::console::past_due(&state, after.as_deref()))
}

/// Cancels a member's subscription now or at its period end; says what Stripe did.
#[server(prefix = "/rpc", endpoint = "admin/subscriptions/cancel")]
pub async fn admin_cancel_subscription(id: String, when: CancelWhen) -> Result<String, AppError> {
    as_admin!(
        |admin, state| crate::server::billing::console::cancel_subscription(
            &state, &admin, &id, when
        )
    )
}

#[server(prefix = "/rpc", endpoint = "admin/subscriptions/resume")]
pub async fn admin_resume_subscription(id: String) -> Result<String, AppError> {
    as_admin!(
        |admin, state| crate::server::billing::console::resume_subscription(&state, &admin, &id)
    )
}

#[server(prefix = "/rpc", endpoint = "admin/members/grant")]
pub async fn grant_access(form: GrantForm) -> Result<String, AppError> {
    as_admin!(|admin, state| crate::server::billing::console::grant_access(&state, &admin, &form))
}

#[server(prefix = "/rpc", endpoint = "admin/admins")]
pub async fn get_admins() -> Result<AdminsPage, AppError> {
    as_admin!(|_admin, state| crate::server::billing::invites::page(&state))
}

#[server(prefix = "/rpc", endpoint = "admin/admins/invite")]
pub async fn invite_admin(form: InviteForm) -> Result<CreatedInvite, AppError> {
    as_admin!(|admin, state| crate::server::billing::invites::invite(&state, &admin, &form))
}

#[server(prefix = "/rpc", endpoint = "admin/admins/remove")]
pub async fn remove_admin(email: String) -> Result<(), AppError> {
    as_admin!(|admin, state| crate::server::billing::invites::remove_admin(&state, &admin, &email))
}

#[server(prefix = "/rpc", endpoint = "admin/admins/revoke")]
pub async fn revoke_invite(id: Uuid) -> Result<(), AppError> {
    as_admin!(|admin, state| crate::server::billing::invites::revoke(&state, &admin, id))
}

/// Who an invitation link is for; an unknown, used or expired link is not found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub email: String,
    /// The email has an account already: its password accepts.
    pub has_account: bool,
}

#[server(prefix = "/rpc", endpoint = "invite/show")]
pub async fn get_invitation(token: String) -> Result<Invitation, AppError> {
    use crate::server::context;
    context::respond(
        async move {
            let state = context::app_state()?;
            let (email, has_account) =
                crate::server::billing::invites::invitee(&state, &token).await?;
            Ok(Invitation { email, has_account })
        }
        .await,
    )
}

/// Accepts an invitation and signs the new admin in.
#[server(prefix = "/rpc", endpoint = "invite/accept")]
pub async fn accept_invitation(
    token: String,
    #[server(default)] name: String,
    password: String,
) -> Result<(), AppError> {
    use crate::server::context;
    context::respond(
        async move {
            let state = context::app_state()?;
            let admin =
                crate::server::billing::invites::accept(&state, &token, &name, password).await?;
            context::start_session(&admin).await?;
            crate::server::redirect::redirect(&admin.role.home_path());
            Ok(())
        }
        .await,
    )
}
