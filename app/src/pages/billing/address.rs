//! Billing address and Tax IDs (seed 004): Stripe Tax checks the address on every save and
//! the page says whether it was recognised and what that means for the member's plan.

use crate::api::billing::{get_address, remove_tax_id, AddTaxId, SaveAddress};
use crate::components::error_view::{ErrorView, FormError};
use crate::components::form_fields::FieldError;
use crate::model::{AddressPage, AppError, TaxLocation, TAX_ID_TYPES};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn Address() -> impl IntoView {
    let save = ServerAction::<SaveAddress>::new();
    let add = ServerAction::<AddTaxId>::new();
    let remove = Action::new(|id: &String| remove_tax_id(id.clone()));
    let page = Resource::new(
        move || {
            (
                save.version().get(),
                add.version().get(),
                remove.version().get(),
            )
        },
        |_| get_address(),
    );
    let save_error = Signal::derive(move || save.value().get().and_then(Result::err));
    let add_error = Signal::derive(move || add.value().get().and_then(Result::err));
    let remove_error = Signal::derive(move || remove.value().get().and_then(Result::err));
    view! {
        <Title text="Billing address"/>
        <h1>"Billing address and Tax ID"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                {move || Suspend::new(async move {
                    page.await.map(|p| view! { <AddressCard page=p save save_error/> <TaxIds page=page remove add add_error remove_error/> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn AddressCard(
    page: AddressPage,
    save: ServerAction<SaveAddress>,
    save_error: Signal<Option<AppError>>,
) -> impl IntoView {
    let a = page.address;
    let status = match page.location {
        TaxLocation::Verified => view! {
            <p class="success" role="status" data-testid="address-status">"Stripe recognises this address: tax is calculated for it."</p>
        }.into_any(),
        TaxLocation::NotRecognised => view! {
            <p class="banner warning" role="alert" data-testid="address-status">
                "Stripe does not recognise this address. " {page.consequence.clone()}
            </p>
        }.into_any(),
        TaxLocation::Missing => view! {
            <p class="muted" data-testid="address-status">"No billing address yet. " {page.consequence.clone()}</p>
        }.into_any(),
    };
    view! {
        <section class="card">
            <h2>"Billing address"</h2>
            {status}
            <ActionForm action=save attr:class="form">
                <label>"Street address"<input name="form[line1]" value=a.line1 autocomplete="address-line1" required/></label>
                <FieldError error=save_error field="line1"/>
                <label>"Address line 2"<input name="form[line2]" value=a.line2 autocomplete="address-line2"/></label>
                <label>"City"<input name="form[city]" value=a.city autocomplete="address-level2" required/></label>
                <FieldError error=save_error field="city"/>
                <label>"State or region"<input name="form[state]" value=a.state autocomplete="address-level1"/></label>
                <label>"Postal code"<input name="form[postal_code]" value=a.postal_code autocomplete="postal-code" required/></label>
                <FieldError error=save_error field="postal_code"/>
                <label>"Country (two letters, e.g. DE)"
                    <input name="form[country]" value=a.country autocomplete="country" maxlength="2" required/>
                </label>
                <FieldError error=save_error field="country"/>
                <button class="button primary" type="submit" disabled=move || save.pending().get()>"Save address"</button>
            </ActionForm>
            {move || save_error.get().filter(|e| !matches!(e, AppError::Validation { .. })).map(|e| view! {
                <div class="alert alert-error" role="alert">{e.to_string()}</div>
            })}
        </section>
    }
}

#[component]
fn TaxIds(
    page: Resource<Result<AddressPage, AppError>>,
    remove: Action<String, Result<AddressPage, AppError>>,
    add: ServerAction<AddTaxId>,
    add_error: Signal<Option<AppError>>,
    remove_error: Signal<Option<AppError>>,
) -> impl IntoView {
    let ids = move || {
        page.get()
            .and_then(Result::ok)
            .map(|p| p.tax_ids)
            .unwrap_or_default()
    };
    view! {
        <section class="card">
            <h2>"Tax IDs"</h2>
            <ul class="tax-ids">
                <For each=ids key=|t| t.id.clone() let:tax_id>
                    {
                        let id = tax_id.id.clone();
                        view! {
                            <li data-testid="tax-id">
                                <span>{format!("{} {}", tax_id.kind.replace('_', " ").to_uppercase(), tax_id.value)}</span>
                                <span class="muted">{tax_id.verification.clone()}</span>
                                <button class="button danger" on:click=move |_| { remove.dispatch(id.clone()); }>"Remove"</button>
                            </li>
                        }
                    }
                </For>
            </ul>
            <FormError error=remove_error/>
            <ActionForm action=add attr:class="form inline">
                <label>"Type"
                    <select name="kind">
                        {TAX_ID_TYPES.iter().map(|(kind, label, _)| view! { <option value=*kind>{*label}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Number"<input name="value" placeholder="DE123456789" required/></label>
                <button class="button" type="submit" disabled=move || add.pending().get()>"Add Tax ID"</button>
            </ActionForm>
            <FieldError error=add_error field="tax_id"/>
        </section>
    }
}
