//! The member's billing pages. Each function acts for the signed-in member only; IDs from the
//! browser are checked to be theirs (404 otherwise) and prices to be on sale (400 otherwise).

use crate::model::{
    AddressForm, AddressPage, AppError, Card, ChangePreview, CheckoutStatus, MemberOverview,
    MemberSubscription, PlansPage, Redirect,
};
use leptos::prelude::*;

#[server(prefix = "/rpc", endpoint = "billing/overview")]
pub async fn get_billing_overview() -> Result<MemberOverview, AppError> {
    use crate::server::billing::access::member_access;
    use crate::server::billing::member::MemberBilling;
    use crate::server::context;
    use crate::server::error::OrInternal;
    context::respond(
        async move {
            let (member, state) = context::require_member().await?;
            use crate::server::limits::{charge_member_stripe_call, StripeBudget};
            charge_member_stripe_call(&state.pool, &state.limits, member.id, StripeBudget::Actions)
                .await?;
            match MemberBilling::new(&state, &member).await {
                Ok(billing) => billing.overview().await,
                // Payments not set up (or Stripe not usable): the member still sees their
                // account and access.
                Err(AppError::Payment(_)) => {
                    let mode = state.mode().await?;
                    let access = member_access(&state.pool, member.id, &mode, state.access)
                        .await
                        .or_internal("derive access")?;
                    Ok(MemberOverview {
                        name: member.name,
                        email: member.email,
                        member_since: member.created_at,
                        access,
                        subscription: None,
                        notice: Some("Payments are not open yet.".into()),
                    })
                }
                Err(other) => Err(other),
            }
        }
        .await,
    )
}

/// Runs `$call` on the signed-in member's billing, with the error's HTTP status. Each call
/// is charged to the member's Stripe budget (`limits::charge_member_stripe_call`); `poll` to
/// the larger one of pages that refresh by themselves; `local` to none (only Paydesk's tables).
#[cfg(feature = "ssr")]
macro_rules! member_billing {
    (local |$billing:ident| $call:expr) => {
        member_billing!(@run None, |$billing| $call)
    };
    (poll |$billing:ident| $call:expr) => {
        member_billing!(@run Some(crate::server::limits::StripeBudget::Polling), |$billing| $call)
    };
    (|$billing:ident| $call:expr) => {
        member_billing!(@run Some(crate::server::limits::StripeBudget::Actions), |$billing| $call)
    };
    (@run $budget:expr, |$billing:ident| $call:expr) => {{
        use crate::server::billing::member::MemberBilling;
        use crate::server::context;
        context::respond(
            async move {
                let (member, state) = context::require_member().await?;
                if let Some(budget) = $budget {
                    crate::server::limits::charge_member_stripe_call(
                        &state.pool,
                        &state.limits,
                        member.id,
                        budget,
                    )
                    .await?;
                }
                let $billing = MemberBilling::new(&state, &member).await?;
                $call.await
            }
            .await,
        )
    }};
}

#[server(prefix = "/rpc", endpoint = "billing/plans")]
pub async fn get_plans() -> Result<PlansPage, AppError> {
    member_billing!(local | billing | billing.plans())
}

/// Opens Checkout for one of the catalog's prices; the browser follows the URL.
#[server(prefix = "/rpc", endpoint = "billing/checkout")]
pub async fn start_checkout(price_id: String) -> Result<Redirect, AppError> {
    member_billing!(|billing| async {
        Ok(Redirect {
            url: billing.start_checkout(&price_id).await?,
        })
    })
}

#[server(prefix = "/rpc", endpoint = "billing/checkout/status")]
pub async fn get_checkout_status(session_id: String) -> Result<CheckoutStatus, AppError> {
    member_billing!(poll | billing | billing.checkout_status(&session_id))
}

#[server(prefix = "/rpc", endpoint = "billing/subscription/cancel")]
pub async fn cancel_subscription(id: String) -> Result<MemberSubscription, AppError> {
    member_billing!(|billing| billing.cancel(&id))
}

#[server(prefix = "/rpc", endpoint = "billing/subscription/resume")]
pub async fn resume_subscription(id: String) -> Result<MemberSubscription, AppError> {
    member_billing!(|billing| billing.resume(&id))
}

#[server(prefix = "/rpc", endpoint = "billing/subscription/preview")]
pub async fn preview_switch(id: String, price_id: String) -> Result<ChangePreview, AppError> {
    member_billing!(|billing| billing.preview_switch(&id, &price_id))
}

#[server(prefix = "/rpc", endpoint = "billing/subscription/switch")]
pub async fn switch_plan(id: String, price_id: String) -> Result<MemberSubscription, AppError> {
    member_billing!(|billing| billing.switch(&id, &price_id))
}

#[server(prefix = "/rpc", endpoint = "billing/cards")]
pub async fn list_cards() -> Result<Vec<Card>, AppError> {
    member_billing!(|billing| billing.cards())
}

#[server(prefix = "/rpc", endpoint = "billing/cards/add")]
pub async fn add_card() -> Result<Redirect, AppError> {
    member_billing!(|billing| async {
        Ok(Redirect {
            url: billing.add_card().await?,
        })
    })
}

#[server(prefix = "/rpc", endpoint = "billing/cards/default")]
pub async fn set_default_card(id: String) -> Result<Vec<Card>, AppError> {
    member_billing!(|billing| billing.set_default_card(&id))
}

#[server(prefix = "/rpc", endpoint = "billing/cards/remove")]
pub async fn remove_card(id: String) -> Result<Vec<Card>, AppError> {
    member_billing!(|billing| billing.remove_card(&id))
}

#[server(prefix = "/rpc", endpoint = "billing/address")]
pub async fn get_address() -> Result<AddressPage, AppError> {
    member_billing!(|billing| billing.address())
}

#[server(prefix = "/rpc", endpoint = "billing/address/save")]
pub async fn save_address(form: AddressForm) -> Result<AddressPage, AppError> {
    member_billing!(|billing| billing.save_address(&form))
}

#[server(prefix = "/rpc", endpoint = "billing/tax-ids/add")]
pub async fn add_tax_id(kind: String, value: String) -> Result<AddressPage, AppError> {
    member_billing!(|billing| billing.add_tax_id(&kind, &value))
}

#[server(prefix = "/rpc", endpoint = "billing/tax-ids/remove")]
pub async fn remove_tax_id(id: String) -> Result<AddressPage, AppError> {
    member_billing!(|billing| billing.remove_tax_id(&id))
}

#[server(prefix = "/rpc", endpoint = "billing/portal")]
pub async fn open_portal() -> Result<Redirect, AppError> {
    member_billing!(|billing| async {
        Ok(Redirect {
            url: billing.portal().await?,
        })
    })
}
