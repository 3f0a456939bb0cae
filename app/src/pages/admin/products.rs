//! Plans & products: the catalog of the current mode, each product's sync status with Stripe,
//! the editor, archive, and import.

use super::product_editor::ProductEditor;
use crate::api::catalog::{
    catalog_sync_status, list_catalog, ImportFromStripe, LinkStripePrice, PushProduct, SaveProduct,
    SetProductArchived,
};
use crate::components::error_view::ErrorView;
use crate::model::{PriceDetail, ProductDetail, ProductSync, SyncState};
use leptos::prelude::*;
use leptos_meta::Title;
use uuid::Uuid;

/// What the editor is open on.
#[derive(Clone, PartialEq)]
enum Editing {
    Closed,
    New,
    Product(Box<ProductDetail>),
}

#[component]
pub fn Products() -> impl IntoView {
    let save = ServerAction::<SaveProduct>::new();
    let push = ServerAction::<PushProduct>::new();
    let archive = ServerAction::<SetProductArchived>::new();
    let import = ServerAction::<ImportFromStripe>::new();
    let link = ServerAction::<LinkStripePrice>::new();
    let versions = move || {
        (
            save.version().get(),
            push.version().get(),
            archive.version().get(),
            import.version().get(),
            link.version().get(),
        )
    };
    let catalog = Resource::new(versions, |_| list_catalog());
    let sync = Resource::new(versions, |_| catalog_sync_status());
    let editing = RwSignal::new(Editing::Closed);
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            if saved.sync_error.is_none() {
                editing.set(Editing::Closed);
            }
        }
    });
    let notice = move || {
        let save_warning = save.value().get().and_then(|r| r.ok()).and_then(|s| {
            s.sync_error
                .map(|e| format!("Saved in Paydesk, but not in Stripe: {e}"))
        });
        let failure = push
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| archive.value().get().and_then(|r| r.err()))
            .map(|e| e.to_string());
        save_warning
            .or(failure)
            .map(|m| view! { <div class="alert alert-error" role="alert">{m}</div> })
    };
    view! {
        <Title text="Plans & products"/>
        <div class="page-head">
            <h1>"Plans & products"</h1>
            <button class="button primary" on:click=move |_| editing.set(Editing::New)>"New product"</button>
        </div>
        {notice}
        {move || match editing.get() {
            Editing::Closed => None,
            Editing::New => Some(view! {
                <ProductEditor product=None save on_cancel=Callback::new(move |_| editing.set(Editing::Closed))/>
            }),
            Editing::Product(p) => Some(view! {
                <ProductEditor product=Some(*p) save on_cancel=Callback::new(move |_| editing.set(Editing::Closed))/>
            }),
        }}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                {move || Suspend::new(async move {
                    catalog.await.map(|c| view! {
                        <p class="muted">{format!("{} mode. Members see active products only.", c.mode.label())}</p>
                        <section class="card">
                            <ProductRows products=c.products sync push archive editing/>
                        </section>
                    })
                })}
            </ErrorBoundary>
        </Transition>
        <ImportCard import link/>
    }
}

#[component]
fn ProductRows(
    products: Vec<ProductDetail>,
    sync: Resource<Result<Vec<ProductSync>, crate::model::AppError>>,
    push: ServerAction<PushProduct>,
    archive: ServerAction<SetProductArchived>,
    editing: RwSignal<Editing>,
) -> impl IntoView {
    if products.is_empty() {
        return view! { <p class="muted">"No products yet: create one, or import them from Stripe."</p> }.into_any();
    }
    view! {
        <table class="catalog">
            <thead>
                <tr><th>"Product"</th><th>"Prices"</th><th>"Stripe"</th><th></th></tr>
            </thead>
            <tbody>
                {products.into_iter().map(|product| view! {
                    <ProductRow product sync push archive editing/>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn ProductRow(
    product: ProductDetail,
    sync: Resource<Result<Vec<ProductSync>, crate::model::AppError>>,
    push: ServerAction<PushProduct>,
    archive: ServerAction<SetProductArchived>,
    editing: RwSignal<Editing>,
) -> impl IntoView {
    let p = product;
    let id = p.id;
    let active = p.active;
    let for_edit = p.clone();
    view! {
        <tr data-product=p.name.clone() class:archived=!active>
            <td>
                <strong>{p.name.clone()}</strong>
                " "<span class="badge">{p.kind.label()}</span>
                {(!active).then(|| view! { " "<span class="badge muted">"Archived"</span> })}
                <br/><span class="muted">{p.description.clone()}</span>
                {p.stripe_product_id.clone().map(|s| view! { <br/><code class="muted">{s}</code> })}
                {(!p.tax_rate_ids.is_empty()).then(|| view! {
                    <br/><span class="muted">"Tax rates: "{p.tax_rate_ids.join(", ")}</span>
                })}
            </td>
            <td><PriceList prices=p.prices.clone()/></td>
            <td class="sync-cell"><SyncBadge id sync push/></td>
            <td class="row-actions">
                <button class="link-button" on:click=move |_| editing.set(Editing::Product(Box::new(for_edit.clone())))>"Edit"</button>
                <button class="link-button" on:click=move |_| { archive.dispatch(SetProductArchived { id, archived: active }); }>
                    {if active { "Archive" } else { "Restore" }}
                </button>
            </td>
        </tr>
    }
}

#[component]
fn PriceList(prices: Vec<PriceDetail>) -> impl IntoView {
    let (active, archived): (Vec<_>, Vec<_>) = prices.into_iter().partition(|p| p.active);
    let line = |p: PriceDetail| {
        let label = match p.interval {
            Some(i) => format!("{} {}", p.amount, i.per()),
            None => p.amount.to_string(),
        };
        view! {
            <li class:archived=!p.active>
                <span class="price-label">{label}</span>
                {p.stripe_price_id.map(|s| view! { " "<code class="price-id">{s}</code> })}
            </li>
        }
    };
    let archived_count = archived.len();
    view! {
        <ul class="prices">{active.into_iter().map(line).collect_view()}</ul>
        {(archived_count > 0).then(|| view! {
            <details class="archived-prices">
                <summary>{format!("{archived_count} archived")}</summary>
                <ul class="prices">{archived.into_iter().map(line).collect_view()}</ul>
            </details>
        })}
    }
}

#[component]
fn SyncBadge(
    id: Uuid,
    sync: Resource<Result<Vec<ProductSync>, crate::model::AppError>>,
    push: ServerAction<PushProduct>,
) -> impl IntoView {
    let fix = move |_| {
        push.dispatch(PushProduct { id });
    };
    view! {
        <Suspense fallback=|| view! { <span class="muted">"Checking…"</span> }>
            {move || Suspend::new(async move {
                let state = match sync.await {
                    Ok(all) => all.into_iter().find(|s| s.product_id == id).map(|s| s.state),
                    Err(e) => Some(SyncState::Unknown(e.to_string())),
                };
                match state {
                    Some(SyncState::InSync) => view! {
                        <span class="sync in-sync" title="Stripe matches Paydesk">"✓ In sync"</span>
                    }.into_any(),
                    Some(SyncState::OutOfSync(diffs)) => view! {
                        <span class="sync out-of-sync">"⚠ Out of sync"</span>
                        <ul class="diffs">{diffs.into_iter().map(|d| view! { <li>{d}</li> }).collect_view()}</ul>
                        <button class="button small" on:click=fix>"Fix"</button>
                    }.into_any(),
                    Some(SyncState::NotPushed) => view! {
                        <span class="sync out-of-sync">"⚠ Not in Stripe yet"</span>
                        <button class="button small" on:click=fix>"Fix"</button>
                    }.into_any(),
                    Some(SyncState::Unknown(why)) => view! {
                        <span class="sync unknown" title=why.clone()>"? Unknown"</span>
                        <span class="hint">{why}</span>
                    }.into_any(),
                    None => view! { <span class="muted">"…"</span> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ImportCard(
    import: ServerAction<ImportFromStripe>,
    link: ServerAction<LinkStripePrice>,
) -> impl IntoView {
    let importing = import.pending();
    let report = move || {
        import
            .value()
            .get()
            .or_else(|| link.value().get())
            .map(|r| match r {
                Ok(r) => view! {
                    <div class="alert alert-ok" role="status">
                        <p>{format!(
                            "Imported {} product(s), linked {} price(s).",
                            r.products_created.len(), r.prices_linked
                        )}</p>
                        <ul>{r.skipped.into_iter().map(|s| view! { <li>"Skipped "{s}</li> }).collect_view()}</ul>
                    </div>
                }.into_any(),
                Err(e) => view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }.into_any(),
            })
    };
    view! {
        <section class="card">
            <h2>"Import from Stripe"</h2>
            <p class="muted">"Links the Stripe account's products and prices (with their metadata) into this catalog."</p>
            <button class="button" disabled=importing on:click=move |_| { import.dispatch(ImportFromStripe {}); }>
                {move || if importing.get() { "Importing…" } else { "Import from Stripe" }}
            </button>
            <ActionForm action=link attr:class="inline-form">
                <label>
                    "Or link one price by its ID"
                    <input type="text" name="price_id" placeholder="price_…" required/>
                </label>
                <button type="submit" class="button">"Link price"</button>
            </ActionForm>
            {report}
        </section>
    }
}
