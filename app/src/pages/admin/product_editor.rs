//! The product editor: kind, name, details, and price rows (currency, amount, interval).

use crate::api::catalog::SaveProduct;
use crate::components::error_view::FormError;
use crate::components::form_fields::FieldError;
use crate::model::{PriceForm, ProductDetail, ProductForm};
use leptos::prelude::*;

#[derive(Clone, Copy)]
struct PriceRow {
    key: usize,
    currency: RwSignal<String>,
    amount: RwSignal<String>,
    interval: RwSignal<String>,
}

impl PriceRow {
    fn new(key: usize, currency: &str, amount: String, interval: &str) -> Self {
        Self {
            key,
            currency: RwSignal::new(currency.to_owned()),
            amount: RwSignal::new(amount),
            interval: RwSignal::new(interval.to_owned()),
        }
    }
}

/// Edits `product`, or a new plan when `None`. `on_done` runs after a successful save.
#[component]
pub fn ProductEditor(
    product: Option<ProductDetail>,
    save: ServerAction<SaveProduct>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let id = product.as_ref().map(|p| p.id);
    let meta = |key: &str| {
        product
            .as_ref()
            .and_then(|p| p.metadata.get(key).cloned())
            .unwrap_or_default()
    };
    let kind = RwSignal::new(
        product
            .as_ref()
            .map(|p| p.kind.as_str().to_owned())
            .unwrap_or_else(|| "plan".into()),
    );
    let name = RwSignal::new(product.as_ref().map(|p| p.name.clone()).unwrap_or_default());
    let description = RwSignal::new(
        product
            .as_ref()
            .map(|p| p.description.clone())
            .unwrap_or_default(),
    );
    let image_url = RwSignal::new(
        product
            .as_ref()
            .map(|p| p.image_url.clone())
            .unwrap_or_default(),
    );
    let account_type = RwSignal::new(meta("accountType"));
    let interval_months = RwSignal::new(meta("interval"));
    let capacity = RwSignal::new(meta("capacity"));
    let tax_rate_ids = RwSignal::new(
        product
            .as_ref()
            .map(|p| p.tax_rate_ids.join(", "))
            .unwrap_or_default(),
    );
    let initial: Vec<PriceRow> = match &product {
        Some(p) => p
            .active_prices()
            .enumerate()
            .map(|(i, price)| {
                PriceRow::new(
                    i,
                    price.amount.currency.code(),
                    price.amount.major_string(),
                    price.interval.map(|i| i.as_str()).unwrap_or("one_time"),
                )
            })
            .collect(),
        None => vec![
            PriceRow::new(0, "usd", String::new(), "month"),
            PriceRow::new(1, "usd", String::new(), "year"),
        ],
    };
    let next_key = StoredValue::new(initial.len());
    let rows = RwSignal::new(initial);
    let add_row = move |_| {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        rows.update(|r| r.push(PriceRow::new(key, "usd", String::new(), "month")));
    };
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    let pending = save.pending();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let form = ProductForm {
            id,
            kind: kind.get_untracked(),
            name: name.get_untracked(),
            description: description.get_untracked(),
            image_url: image_url.get_untracked(),
            account_type: account_type.get_untracked(),
            interval_months: interval_months.get_untracked(),
            capacity: capacity.get_untracked(),
            tax_rate_ids: tax_rate_ids.get_untracked(),
            prices: rows
                .get_untracked()
                .iter()
                .map(|r| PriceForm {
                    currency: r.currency.get_untracked(),
                    amount: r.amount.get_untracked(),
                    interval: r.interval.get_untracked(),
                })
                .collect(),
        };
        save.dispatch(SaveProduct { form });
    };
    view! {
        <form class="card editor" on:submit=submit>
            <h2>{if id.is_some() { "Edit product" } else { "New product" }}</h2>
            <div class="grid-2">
                <label>
                    "Kind"
                    <select prop:value=kind on:change=move |ev| kind.set(event_target_value(&ev))>
                        <option value="plan">"Plan (recurring)"</option>
                        <option value="top_up">"Top-up"</option>
                        <option value="one_time">"One-time"</option>
                    </select>
                </label>
                <label>
                    "Name"
                    <input type="text" name="name" bind:value=name required/>
                    <FieldError error field="name"/>
                </label>
            </div>
            <label>"Description"<input type="text" name="description" bind:value=description/></label>
            <label>
                "Image URL"
                <input type="url" name="image_url" bind:value=image_url placeholder="https://…"/>
                <FieldError error field="image_url"/>
            </label>
            <Show when=move || kind.get() == "top_up">
                <div class="grid-2">
                    <label>
                        "Account type"
                        <input type="text" name="account_type" bind:value=account_type placeholder="premium"/>
                        <FieldError error field="account_type"/>
                    </label>
                    <label>
                        "Months added per top-up"
                        <input type="number" min="1" max="120" name="interval_months" bind:value=interval_months/>
                        <FieldError error field="interval_months"/>
                    </label>
                </div>
            </Show>
            <Show when=move || kind.get() == "one_time">
                <label>
                    "Capacity (empty for no limit)"
                    <input type="number" min="1" name="capacity" bind:value=capacity/>
                    <FieldError error field="capacity"/>
                </label>
            </Show>
            <label>
                "Tax rates"
                <input type="text" name="tax_rate_ids" bind:value=tax_rate_ids placeholder="txr_…, txr_…"/>
                <span class="hint">"Stripe tax rate IDs applied to every purchase of this product. Leave empty when automatic tax is on."</span>
                <FieldError error field="tax_rate_ids"/>
            </label>
            <h3>"Prices"</h3>
            <table class="price-rows">
                <thead><tr><th>"Currency"</th><th>"Amount"</th><th>"Billing"</th><th></th></tr></thead>
                <tbody>
                    <For each=move || rows.get() key=|r| r.key let:row>
                        <tr>
                            <td><input type="text" class="currency" maxlength="3" aria-label="Currency" bind:value=row.currency/></td>
                            <td><input type="text" inputmode="decimal" aria-label="Amount" bind:value=row.amount placeholder="29.00"/></td>
                            <td>
                                <select aria-label="Billing" prop:value=row.interval on:change=move |ev| row.interval.set(event_target_value(&ev))>
                                    <option value="month">"Monthly"</option>
                                    <option value="year">"Yearly"</option>
                                    <option value="one_time">"One-time"</option>
                                </select>
                            </td>
                            <td>
                                <button type="button" class="link-button" on:click=move |_| rows.update(|r| r.retain(|x| x.key != row.key))>
                                    "Remove"
                                </button>
                            </td>
                        </tr>
                    </For>
                </tbody>
            </table>
            <button type="button" class="link-button" on:click=add_row>"+ Add a price"</button>
            <p class="hint">"Changing an amount creates a new Stripe price and archives the old one; existing subscriptions keep theirs."</p>
            <FormError error/>
            <div class="actions">
                <button type="submit" class="button primary" disabled=pending>
                    {move || if pending.get() { "Saving…" } else { "Save and sync" }}
                </button>
                <button type="button" class="button" on:click=move |_| on_cancel.run(())>"Cancel"</button>
            </div>
        </form>
    }
}
