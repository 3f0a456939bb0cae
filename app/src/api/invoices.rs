//! Invoices, payments, refunds, API tokens and the invoice seller block. Member functions act
//! for the signed-in member only; the rest are the console's and refuse anyone but an admin.

use crate::model::{
    ApiTokenForm, ApiTokenView, AppError, CreatedApiToken, InvoiceProfile, InvoiceQuery,
    InvoiceSummary, Page, PaymentQuery, PaymentSummary, RefundForm,
};
use leptos::prelude::*;
use uuid::Uuid;

#[server(prefix = "/rpc", endpoint = "billing/invoices")]
pub async fn get_my_invoices(after: Option<String>) -> Result<Page<InvoiceSummary>, AppError> {
    use crate::server::billing::invoices;
    use crate::server::context;
    context::respond(
        async move {
            let (member, state) = context::require_member().await?;
            invoices::member_page(&state, &member, after.as_deref()).await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "admin/invoices")]
pub async fn get_invoices(query: InvoiceQuery) -> Result<Page<InvoiceSummary>, AppError> {
    as_admin!(|_admin, state| crate::server::billing::invoices::admin_page(&state, &query))
}

#[server(prefix = "/rpc", endpoint = "admin/payments")]
pub async fn get_payments(query: PaymentQuery) -> Result<Page<PaymentSummary>, AppError> {
    as_admin!(|_admin, state| crate::server::billing::payments::page(&state, &query))
}

/// Asks Stripe for a refund; says what was asked. The payment shows it once the webhook
/// confirms.
#[server(prefix = "/rpc", endpoint = "admin/payments/refund")]
pub async fn refund_payment(form: RefundForm) -> Result<String, AppError> {
    as_admin!(|admin, state| async {
        let made = crate::server::billing::payments::refund(&state, &admin, &form).await?;
        Ok(format!(
            "Refund of {} {}.",
            made.amount,
            match made.status.as_str() {
                "succeeded" => "made",
                "failed" => "failed",
                _ => "requested; Stripe is processing it",
            }
        ))
    })
}

#[server(prefix = "/rpc", endpoint = "admin/api-tokens")]
pub async fn get_api_tokens() -> Result<Vec<ApiTokenView>, AppError> {
    as_admin!(|_admin, state| crate::server::billing::api_tokens::list(&state))
}

#[server(prefix = "/rpc", endpoint = "admin/api-tokens/create")]
pub async fn create_api_token(form: ApiTokenForm) -> Result<CreatedApiToken, AppError> {
    as_admin!(|admin, state| crate::server::billing::api_tokens::create(&state, &admin, &form))
}

#[server(prefix = "/rpc", endpoint = "admin/api-tokens/revoke")]
pub async fn revoke_api_token(id: Uuid) -> Result<(), AppError> {
    as_admin!(|admin, state| crate::server::billing::api_tokens::revoke(&state, &admin, id))
}

#[server(prefix = "/rpc", endpoint = "admin/invoice-profile")]
pub async fn get_invoice_profile() -> Result<InvoiceProfile, AppError> {
    as_admin!(|_admin, state| crate::server::billing::invoices::profile(&state))
}

#[server(prefix = "/rpc", endpoint = "admin/invoice-profile/save")]
pub async fn save_invoice_profile(profile: InvoiceProfile) -> Result<InvoiceProfile, AppError> {
    as_admin!(
        |admin, state| crate::server::billing::invoices::save_profile(&state, &admin, &profile)
    )
}
