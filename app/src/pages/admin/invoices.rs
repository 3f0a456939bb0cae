//! Every member's invoices, filtered by member, status, currency and date. The filters and the
//! page cursor live in the query string, so a filtered list can be linked and reloaded.

use crate::api::invoices::get_invoices;
use crate::components::error_view::{FilterActions, Loaded};
use crate::components::pager::PagedTable;
use crate::model::{InvoiceQuery, InvoiceSummary, Page, INVOICE_STATUSES};
use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

const PATH: &str = "/admin/invoices";

fn query_from(params: &ParamsMap) -> InvoiceQuery {
    let text = |key: &str| {
        params
            .get(key)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    let date = |key: &str| {
        params
            .get(key)
            .and_then(|v| NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok())
    };
    InvoiceQuery {
        member: text("member"),
        status: text("status"),
        currency: text("currency").to_ascii_lowercase(),
        from: date("from"),
        to: date("to"),
        after: params.get("after").filter(|a| !a.is_empty()),
    }
}

fn status_label(status: &str) -> &'static str {
    match status {
        "open" => "Due",
        "paid" => "Paid",
        "void" => "Void",
        "uncollectible" => "Uncollectible",
        _ => "Draft",
    }
}

#[component]
pub fn AdminInvoices() -> impl IntoView {
    let params = use_query_map();
    let invoices = Resource::new(move || params.with(query_from), get_invoices);
    let initial = params.with_untracked(query_from);
    let value = |v: Option<NaiveDate>| v.map(|d| d.to_string()).unwrap_or_default();
    // The inputs follow the URL too, so Clear and Back show the filters that apply.
    let current = move |key: &'static str| move || params.with(|p| p.get(key).unwrap_or_default());
    view! {
        <Title text="Invoices"/>
        <h1>"Invoices"</h1>
        <p class="muted">"Every invoice Stripe issued to a member, newest first, with Paydesk's PDF."</p>
        <Form method="GET" action=PATH attr:class="filters card">
            <label class="wide-field">
                "Member"
                <input type="search" name="member" value=initial.member.clone()
                    prop:value=current("member") placeholder="Email, name or cus_…"/>
            </label>
            <label>
                "Status"
                <select name="status" prop:value=current("status")>
                    <option value="">"Any"</option>
                    {INVOICE_STATUSES.iter().map(|s| view! {
                        <option value=*s selected=initial.status == *s>{status_label(s)}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="narrow-field">
                "Currency"
                <input type="text" name="currency" value=initial.currency.to_ascii_uppercase()
                    prop:value=current("currency") maxlength="3" placeholder="USD" class="currency"/>
            </label>
            <label class="date-field">
                "From"
                <input type="date" name="from" value=value(initial.from) prop:value=current("from")/>
            </label>
            <label class="date-field">
                "To"
                <input type="date" name="to" value=value(initial.to) prop:value=current("to")/>
            </label>
            <FilterActions path=PATH/>
        </Form>
        <Loaded resource=invoices show=move |page| view! { <InvoiceTable page params/> }/>
    }
}

#[component]
fn InvoiceTable(page: Page<InvoiceSummary>, params: Memo<ParamsMap>) -> impl IntoView {
    view! {
        <PagedTable next=page.next has_rows=!page.items.is_empty() params path=PATH
            empty="No invoices match." class="invoices">
            <thead>
                <tr>
                    <th>"Member"</th><th>"Number"</th><th>"Date"</th>
                    <th class="num">"Total"</th><th class="num">"Paid"</th>
                    <th class="num">"Refunded"</th><th>"Status"</th><th></th>
                </tr>
            </thead>
            <tbody>
                {page.items.into_iter().map(|i| view! { <InvoiceRow invoice=i/> }).collect_view()}
            </tbody>
        </PagedTable>
    }
}

#[component]
fn InvoiceRow(invoice: InvoiceSummary) -> impl IntoView {
    let label = invoice.status_label();
    let refunded = if invoice.amount_refunded.amount_minor > 0 {
        invoice.amount_refunded.to_string()
    } else {
        "—".into()
    };
    view! {
        <tr data-testid="invoice" data-invoice=invoice.id.clone()>
            <td class="member">
                {invoice.customer_email.unwrap_or_else(|| "—".into())}
                {invoice.customer_name.map(|n| view! { <br/><span class="muted small">{n}</span> })}
            </td>
            <td class="nowrap"><code>{invoice.number.unwrap_or_else(|| "—".into())}</code></td>
            <td class="nowrap">{invoice.created.format("%Y-%m-%d").to_string()}</td>
            <td class="num">{invoice.total.to_string()}</td>
            <td class="num">{invoice.amount_paid.to_string()}</td>
            <td class="num">{refunded}</td>
            <td><span class=state_class(label)>{label}</span></td>
            <td><a href=invoice.pdf_url download rel="external">"Download"</a></td>
        </tr>
    }
}

/// The badge class for a status label: "Partially refunded" -> `status is-partially-refunded`.
pub(crate) fn state_class(label: &str) -> String {
    format!("status is-{}", label.to_ascii_lowercase().replace(' ', "-"))
}
