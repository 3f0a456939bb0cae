//! The member's invoices, newest first, each with its PDF. Older ones load below on demand,
//! one keyset page at a time, so the rows already shown stay put.

use crate::api::invoices::get_my_invoices;
use crate::components::error_view::{ErrorView, FormError};
use crate::model::{AppError, InvoiceSummary, Page};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Title;

fn day(d: DateTime<Utc>) -> String {
    d.format("%B %-d, %Y").to_string()
}

fn period(p: Option<(DateTime<Utc>, DateTime<Utc>)>) -> String {
    p.map(|(start, end)| {
        format!(
            "{} – {}",
            start.format("%b %-d, %Y"),
            end.format("%b %-d, %Y")
        )
    })
    .unwrap_or_else(|| "—".into())
}

#[component]
pub fn Invoices() -> impl IntoView {
    let first = Resource::new(|| (), |_| get_my_invoices(None));
    view! {
        <Title text="Invoices"/>
        <h1>"Invoices"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                {move || Suspend::new(async move {
                    first.await.map(|page| view! { <InvoiceList first=page/> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn InvoiceList(first: Page<InvoiceSummary>) -> impl IntoView {
    if first.items.is_empty() {
        return view! { <p class="muted card" data-testid="no-invoices">"No invoices yet."</p> }
            .into_any();
    }
    let rows = RwSignal::new(first.items);
    let next = RwSignal::new(first.next);
    // Appends the next page to what is shown; the cursor moves on only when it arrived.
    let older = Action::new(move |after: &String| {
        let after = after.clone();
        async move {
            let page = get_my_invoices(Some(after)).await?;
            rows.update(|r| r.extend(page.items));
            next.set(page.next);
            Ok::<_, AppError>(())
        }
    });
    let error = Signal::derive(move || older.value().get().and_then(Result::err));
    view! {
        <section class="card table-card">
            <table class="invoices">
                <thead>
                    <tr>
                        <th>"Number"</th><th>"Date"</th><th>"Period"</th>
                        <th class="num">"Total"</th><th>"Status"</th><th></th>
                    </tr>
                </thead>
                <tbody>
                    <For each=move || rows.get() key=|i| i.id.clone() let:invoice>
                        <tr data-testid="invoice" data-invoice=invoice.id.clone()>
                            <td class="nowrap"><code>{invoice.number.clone().unwrap_or_else(|| "—".into())}</code></td>
                            <td class="nowrap">{day(invoice.created)}</td>
                            <td class="nowrap">{period(invoice.period)}</td>
                            <td class="num">{invoice.total.to_string()}</td>
                            <td>
                                <span class=format!(
                                    "status is-{}",
                                    invoice.status_label().to_ascii_lowercase().replace(' ', "-")
                                )>{invoice.status_label()}</span>
                            </td>
                            <td><a href=invoice.pdf_url.clone() download rel="external">"Download"</a></td>
                        </tr>
                    </For>
                </tbody>
            </table>
        </section>
        <FormError error/>
        <Show when=move || next.with(Option::is_some)>
            <button
                class="button"
                disabled=move || older.pending().get()
                on:click=move |_| {
                    if let Some(after) = next.get_untracked() {
                        older.dispatch(after);
                    }
                }
            >
                {move || if older.pending().get() { "Loading…" } else { "Older invoices" }}
            </button>
        </Show>
    }
    .into_any()
}
