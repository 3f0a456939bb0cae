//! Settings > Payment platform. Secrets go in through `save_stripe_settings` and never come
//! back out: every answer carries masked hints only.

use crate::model::{
    AppError, ConnectionReport, StripeSettingsForm, StripeSettingsView, WebhookRegistration,
};
use leptos::prelude::*;

#[server(prefix = "/rpc", endpoint = "settings/stripe")]
pub async fn get_stripe_settings() -> Result<StripeSettingsView, AppError> {
    use crate::server::context;
    context::respond(
        async move {
            let (_, state) = context::require_admin().await?;
            state.settings().view().await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "settings/stripe/save")]
pub async fn save_stripe_settings(
    form: StripeSettingsForm,
) -> Result<StripeSettingsView, AppError> {
    use crate::server::context;
    use crate::server::db::audit::Actor;
    context::respond(
        async move {
            let (admin, state) = context::require_admin().await?;
            tracing::info!(admin = %admin.email, form = %form.redacted(), "saving stripe settings");
            state.settings().save(&Actor::from(&admin), &form).await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "settings/stripe/verify")]
pub async fn verify_stripe_connection() -> Result<ConnectionReport, AppError> {
    use crate::server::context;
    context::respond(
        async move {
            let (_, state) = context::require_admin().await?;
            state.settings().verify().await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "settings/stripe/webhook")]
pub async fn register_stripe_webhook() -> Result<WebhookRegistration, AppError> {
    use crate::server::context;
    use crate::server::db::audit::Actor;
    context::respond(
        async move {
            let (admin, state) = context::require_admin().await?;
            state
                .settings()
                .register_webhook(&Actor::from(&admin))
                .await
        }
        .await,
    )
}
