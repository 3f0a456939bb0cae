//! A `<select name="plan">` of the catalog's plans, for list filters kept in the query string.

use crate::api::catalog::list_catalog;
use crate::model::ProductKind;
use leptos::prelude::*;

#[component]
pub fn PlanSelect(selected: Signal<String>) -> impl IntoView {
    let catalog = Resource::new(|| (), |_| list_catalog());
    view! {
        <label>
            "Plan"
            <select name="plan" prop:value=move || selected.get()>
                <option value="">"Any plan"</option>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        catalog.await.map(|c| {
                            c.products
                                .into_iter()
                                .filter(|p| p.kind == ProductKind::Plan)
                                .map(|p| {
                                    let id = p.id.to_string();
                                    let chosen = id == selected.get_untracked();
                                    view! { <option value=id selected=chosen>{p.name}</option> }
                                })
                                .collect_view()
                        }).unwrap_or_default()
                    })}
                </Suspense>
            </select>
        </label>
    }
}
