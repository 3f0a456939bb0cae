//! Plans & products in the admin console: the editor, push sync, drift, import.

use crate::model::{AppError, ImportReport, ProductDetail, ProductForm, ProductSync, StripeMode};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogView {
    pub mode: StripeMode,
    pub products: Vec<ProductDetail>,
}

/// A product was saved; `sync_error` says why Stripe could not be brought along (the product
/// then shows as out of sync, with a fix action).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedProduct {
    pub product: ProductDetail,
    pub sync_error: Option<String>,
}

/// A product was saved in Paydesk; bring Stripe along, and report (not fail on) a Stripe
/// problem, since the save itself stands.
#[cfg(feature = "ssr")]
async fn push_after_save(
    state: &crate::server::AppState,
    id: Uuid,
) -> Result<SavedProduct, AppError> {
    use crate::server::billing::catalog;
    let pushed = match state.settings().stripe().await {
        Ok(api) => catalog::push(&state.pool, &api, id).await,
        Err(e) => Err(e),
    };
    Ok(match pushed {
        Ok(product) => SavedProduct {
            product,
            sync_error: None,
        },
        Err(e) => SavedProduct {
            product: catalog::detail(&state.pool, id).await?,
            sync_error: Some(e.to_string()),
        },
    })
}

#[server(prefix = "/rpc", endpoint = "catalog/list")]
pub async fn list_catalog() -> Result<CatalogView, AppError> {
    use crate::server::{billing::catalog, context};
    context::respond(
        async move {
            let (_, state) = context::require_admin().await?;
            let mode = state.mode().await?;
            Ok(CatalogView {
                mode: StripeMode::parse(&mode).unwrap_or_default(),
                products: catalog::list(&state.pool, &mode).await?,
            })
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "catalog/product")]
pub async fn get_product(id: Uuid) -> Result<ProductDetail, AppError> {
    use crate::server::{billing::catalog, context};
    context::respond(
        async move {
            let (_, state) = context::require_admin().await?;
            catalog::detail(&state.pool, id).await
        }
        .await,
    )
}

/// Asks Stripe about every product of the current mode.
#[server(prefix = "/rpc", endpoint = "catalog/sync-status")]
pub async fn catalog_sync_status() -> Result<Vec<ProductSync>, AppError> {
    use crate::model::SyncState;
    use crate::server::{billing::catalog, context};
    context::respond(
        async move {
            let (_, state) = context::require_admin().await?;
            let mode = state.mode().await?;
            let products = catalog::list(&state.pool, &mode).await?;
            let api = state.settings().stripe().await;
            let out = match &api {
                Ok(api) => catalog::sync_states(api, products).await,
                Err(e) => products
                    .iter()
                    .map(|p| ProductSync {
                        product_id: p.id,
                        state: SyncState::Unknown(e.to_string()),
                    })
                    .collect(),
            };
            Ok(out)
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "catalog/save")]
pub async fn save_product(form: ProductForm) -> Result<SavedProduct, AppError> {
    use crate::server::db::audit::Actor;
    use crate::server::{billing::catalog, context};
    context::respond(
        async move {
            let (admin, state) = context::require_admin().await?;
            let mode = state.mode().await?;
            let id = catalog::save(&state.pool, &mode, &Actor::from(&admin), &form).await?;
            push_after_save(&state, id).await
        }
        .await,
    )
}

/// "Fix": pushes Paydesk's version of the product to Stripe again.
#[server(prefix = "/rpc", endpoint = "catalog/push")]
pub async fn push_product(id: Uuid) -> Result<ProductDetail, AppError> {
    use crate::server::{billing::catalog, context};
    context::respond(
        async move {
            let (_, state) = context::require_admin().await?;
            let api = state.settings().stripe().await?;
            catalog::push(&state.pool, &api, id).await
        }
        .await,
    )
}

/// Archives (hides from members) or restores a product, in Paydesk and Stripe.
#[server(prefix = "/rpc", endpoint = "catalog/archive")]
pub async fn set_product_archived(id: Uuid, archived: bool) -> Result<SavedProduct, AppError> {
    use crate::server::db::audit::Actor;
    use crate::server::{billing::catalog, context};
    context::respond(
        async move {
            let (admin, state) = context::require_admin().await?;
            catalog::set_active(&state.pool, &Actor::from(&admin), id, !archived).await?;
            push_after_save(&state, id).await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "catalog/import")]
pub async fn import_from_stripe() -> Result<ImportReport, AppError> {
    use crate::server::db::audit::{self, Actor};
    use crate::server::error::OrInternal;
    use crate::server::{billing::catalog, context};
    context::respond(
        async move {
            let (admin, state) = context::require_admin().await?;
            let api = state.settings().stripe().await?;
            let report = catalog::import_all(&state.pool, &api).await?;
            audit::record(
                &state.pool,
                &Actor::from(&admin),
                "catalog.imported",
                "stripe",
                serde_json::json!({
                    "products_created": report.products_created,
                    "prices_linked": report.prices_linked,
                }),
            )
            .await
            .or_internal("audit import")?;
            Ok(report)
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "catalog/link-price")]
pub async fn link_stripe_price(price_id: String) -> Result<ImportReport, AppError> {
    use crate::server::db::audit::{self, Actor};
    use crate::server::error::OrInternal;
    use crate::server::{billing::catalog, context};
    context::respond(
        async move {
            let (admin, state) = context::require_admin().await?;
            let api = state.settings().stripe().await?;
            let report = catalog::link_price(&state.pool, &api, &price_id).await?;
            audit::record(
                &state.pool,
                &Actor::from(&admin),
                "catalog.price_linked",
                price_id.trim(),
                serde_json::json!({ "prices_linked": report.prices_linked }),
            )
            .await
            .or_internal("audit price link")?;
            Ok(report)
        }
        .await,
    )
}
