use crate::model::{PriceSummary, ProductSummary};
use leptos::prelude::*;

fn price_label(price: &PriceSummary) -> String {
    match price.interval {
        Some(interval) => format!("{} {}", price.amount, interval.per()),
        None => price.amount.to_string(),
    }
}

#[component]
pub fn ProductTable(products: Vec<ProductSummary>) -> impl IntoView {
    if products.is_empty() {
        return view! { <p class="muted">"No products yet."</p> }.into_any();
    }
    view! {
        <table>
            <thead>
                <tr><th>"Product"</th><th>"Kind"</th><th>"Prices"</th><th>"Status"</th></tr>
            </thead>
            <tbody>
                {products.into_iter().map(|p| view! {
                    <tr>
                        <td><strong>{p.name}</strong><br/><span class="muted">{p.description}</span></td>
                        <td>{p.kind.label()}</td>
                        <td>{p.prices.iter().map(price_label).collect::<Vec<_>>().join(", ")}</td>
                        <td>{if p.active { "Active" } else { "Archived" }}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
