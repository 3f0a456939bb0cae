//! Payments, newest first, filtered by state and member, with refunds. A refund is asked of
//! Stripe at once, but the payment shows it only when Stripe's webhook has been applied, so
//! the list asks again shortly after a refund succeeds.

use crate::api::invoices::{get_payments, RefundPayment};
use crate::components::error_view::Loaded;
use crate::components::form_fields::FieldError;
use crate::components::pager::PagedTable;
use crate::components::refetch::read_again_soon;
use crate::model::{AppError, Page, PaymentQuery, PaymentState, PaymentSummary, REFUND_REASONS};
use crate::pages::admin::invoices::state_class;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

const PATH: &str = "/admin/payments";

const STATES: [PaymentState; 6] = [
    PaymentState::Succeeded,
    PaymentState::PartiallyRefunded,
    PaymentState::Refunded,
    PaymentState::Failed,
    PaymentState::Pending,
    PaymentState::Canceled,
];

fn query_from(params: &ParamsMap) -> PaymentQuery {
    PaymentQuery {
        state: params.get("state").unwrap_or_default(),
        member: params
            .get("member")
            .map(|m| m.trim().to_owned())
            .unwrap_or_default(),
        after: params.get("after").filter(|a| !a.is_empty()),
    }
}

/// The current URL with `key` set to `value` (or removed when empty), back on the first page.
fn href_with(params: &ParamsMap, key: &'static str, value: &str) -> String {
    let mut p = params.clone();
    p.remove("after");
    p.remove(key);
    if !value.is_empty() {
        p.replace(key, value.to_owned());
    }
    format!("{PATH}{}", p.to_query_string())
}

/// What the rows need from the page: the one refund form open, and the action behind it.
#[derive(Clone, Copy)]
struct RefundState {
    open: RwSignal<Option<String>>,
    action: ServerAction<RefundPayment>,
}

#[component]
pub fn Payments() -> impl IntoView {
    let params = use_query_map();
    let refund = ServerAction::<RefundPayment>::new();
    let open = RwSignal::new(None::<String>);
    // Bumped only by a successful refund, so a refused one keeps the form and what was typed.
    let refreshed = RwSignal::new(0u32);
    let payments = Resource::new(
        move || (params.with(query_from), refreshed.get()),
        |(query, _)| get_payments(query),
    );
    Effect::new(move |_| {
        if let Some(Ok(_)) = refund.value().get() {
            open.set(None);
            read_again_soon(refreshed);
        }
    });
    let state = RefundState {
        open,
        action: refund,
    };
    let current_state = move || params.with(|p| p.get("state").unwrap_or_default());
    let initial_member = params.with_untracked(|p| p.get("member").unwrap_or_default());
    view! {
        <Title text="Payments"/>
        <h1>"Payments"</h1>
        <nav class="tabs" aria-label="Payment state">
            <a href=move || params.with(|p| href_with(p, "state", ""))
                class=move || if current_state().is_empty() { "tab selected" } else { "tab" }>
                "All"
            </a>
            {STATES.map(|s| view! {
                <a href=move || params.with(|p| href_with(p, "state", s.slug()))
                    class=move || if current_state() == s.slug() { "tab selected" } else { "tab" }>
                    {s.label()}
                </a>
            }).collect_view()}
        </nav>
        <Form method="GET" action=PATH attr:class="filters card">
            <input type="hidden" name="state" value=current_state/>
            <label>
                "Member"
                <input type="search" name="member" value=initial_member
                    prop:value=move || params.with(|p| p.get("member").unwrap_or_default())
                    placeholder="Email, name or cus_…"/>
            </label>
            <button class="button primary" type="submit">"Search"</button>
        </Form>
        {move || refund.value().get().and_then(Result::ok).map(|message| view! {
            <p class="notice" role="status" data-testid="refund-notice">{message}</p>
        })}
        <Loaded resource=payments show=move |page| view! { <PaymentTable page params state/> }/>
    }
}

#[component]
fn PaymentTable(
    page: Page<PaymentSummary>,
    params: Memo<ParamsMap>,
    state: RefundState,
) -> impl IntoView {
    view! {
        <PagedTable next=page.next has_rows=!page.items.is_empty() params path=PATH
            empty="No payments match." class="payments">
            <thead>
                <tr>
                    <th>"Member"</th><th class="num">"Amount"</th><th class="num">"Refunded"</th>
                    <th>"Date and method"</th><th>"State"</th><th>"Invoice"</th><th></th>
                </tr>
            </thead>
            <tbody>
                {page.items.into_iter().map(|p| view! { <PaymentRow payment=p state/> }).collect_view()}
            </tbody>
        </PagedTable>
    }
}

#[component]
fn PaymentRow(payment: PaymentSummary, state: RefundState) -> impl IntoView {
    let refundable = payment.refundable();
    let id = payment.id.clone();
    let is_open = {
        let id = id.clone();
        move || state.open.with(|o| o.as_deref() == Some(id.as_str()))
    };
    let toggle = {
        let id = id.clone();
        move |_| {
            // A message or error from another row's refund does not belong to this one.
            state.action.value().set(None);
            state.open.update(|o| {
                *o = if o.as_deref() == Some(id.as_str()) {
                    None
                } else {
                    Some(id.clone())
                }
            });
        }
    };
    let label = payment.state.label();
    let refunded = if payment.refunded.amount_minor > 0 {
        payment.refunded.to_string()
    } else {
        "—".into()
    };
    let can_refund = refundable.amount_minor > 0;
    let expanded = {
        let is_open = is_open.clone();
        move || is_open().to_string()
    };
    view! {
        <tr data-testid="payment" data-payment=id.clone()>
            <td class="member">
                {payment.member_email.clone().unwrap_or_else(|| "—".into())}
                {payment.member_name.clone().map(|n| view! { <br/><span class="muted small">{n}</span> })}
            </td>
            <td class="num">{payment.amount.to_string()}</td>
            <td class="num" data-testid="refunded">{refunded}</td>
            <td class="nowrap">
                {payment.created.format("%Y-%m-%d %H:%M").to_string()}
                {payment.method.clone().map(|m| view! { <br/><span class="muted small">{m}</span> })}
            </td>
            <td>
                <span class=state_class(label) data-testid="payment-state">{label}</span>
                {(payment.state == PaymentState::Failed).then(|| payment.failure_message.clone()).flatten()
                    .map(|m| view! { <span class="reason field-error">{m}</span> })}
            </td>
            <td class="nowrap"><code>{payment.invoice_number.clone().unwrap_or_else(|| "—".into())}</code></td>
            <td>
                {can_refund.then(|| view! {
                    <button class="button small" aria-expanded=expanded.clone()
                        on:click=toggle.clone()>
                        "Refund"
                    </button>
                })}
            </td>
        </tr>
        <Show when=is_open>
            <tr class="detail-row">
                <td colspan="7">
                    <RefundPanel payment_id=id.clone() refundable=refundable.to_string() state/>
                </td>
            </tr>
        </Show>
    }
}

#[component]
fn RefundPanel(payment_id: String, refundable: String, state: RefundState) -> impl IntoView {
    let refund = state.action;
    let error = Signal::derive(move || refund.value().get().and_then(Result::err));
    let other_error = move || {
        error
            .get()
            .filter(|e| !matches!(e, AppError::Validation { .. }))
            .map(|e| view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> })
    };
    view! {
        <ActionForm action=refund attr:class="refund-form" attr:data-testid="refund-form">
            <input type="hidden" name="form[payment_id]" value=payment_id/>
            <div class="refund-fields">
                <div class="field">
                    <label>
                        "Amount"
                        <input type="text" name="form[amount]" inputmode="decimal" autocomplete="off"
                            placeholder=format!("up to {refundable}")/>
                    </label>
                    <span class="hint">"Empty refunds everything left."</span>
                    <FieldError error field="amount"/>
                </div>
                <div class="field">
                    <label>
                        "Reason"
                        <select name="form[reason]">
                            {REFUND_REASONS.iter().map(|(slug, text)| view! { <option value=*slug>{*text}</option> }).collect_view()}
                        </select>
                    </label>
                    <FieldError error field="reason"/>
                </div>
                <div class="field grow">
                    <label>
                        "Note"
                        <input type="text" name="form[note]" maxlength="500" placeholder="For the record (optional)"/>
                    </label>
                    <FieldError error field="note"/>
                </div>
            </div>
            {other_error}
            <div class="actions">
                <button class="button primary" type="submit" disabled=move || refund.pending().get()>
                    {move || if refund.pending().get() { "Refunding…" } else { "Refund payment" }}
                </button>
                <button class="link-button" type="button" on:click=move |_| state.open.set(None)>"Cancel"</button>
            </div>
        </ActionForm>
    }
}
