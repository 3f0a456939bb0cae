//! Webhook events: the inbox of what Stripe sent, newest first, with filters and payloads.

use crate::api::events::{get_event_payload, list_events, EVENTS_PAGE};
use crate::components::error_view::ErrorView;
use crate::model::{EventSummary, EVENT_STATUSES};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn Events() -> impl IntoView {
    let status = RwSignal::new(String::new());
    let type_prefix = RwSignal::new(String::new());
    let events = Resource::new(
        move || (status.get(), type_prefix.get()),
        |(status, type_prefix)| list_events(status, type_prefix),
    );
    view! {
        <Title text="Webhook events"/>
        <h1>"Webhook events"</h1>
        <p class="muted">"Every signed event Stripe delivered to /api/stripe/webhook, stored once, newest first."</p>
        <div class="filters card">
            <label>
                "Status"
                <select on:change=move |ev| status.set(event_target_value(&ev))>
                    <option value="">"All"</option>
                    {EVENT_STATUSES.map(|s| view! { <option value=s>{s}</option> }).collect_view()}
                </select>
            </label>
            <label>
                "Type starts with"
                <input
                    type="text"
                    placeholder="customer.subscription."
                    on:change=move |ev| type_prefix.set(event_target_value(&ev))
                />
            </label>
        </div>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                {move || Suspend::new(async move {
                    events.await.map(|list| view! { <EventTable events=list/> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn EventTable(events: Vec<EventSummary>) -> impl IntoView {
    if events.is_empty() {
        return view! { <p class="muted">"No events yet."</p> }.into_any();
    }
    let full = events.len() as i64 >= EVENTS_PAGE;
    view! {
        <section class="card">
            <table class="events">
                <thead>
                    <tr>
                        <th>"Type"</th><th>"Object"</th><th>"Status"</th><th>"Attempts"</th>
                        <th>"Received"</th><th>"Processed"</th><th></th>
                    </tr>
                </thead>
                <tbody>
                    {events.into_iter().map(|e| view! { <EventRow event=e/> }).collect_view()}
                </tbody>
            </table>
            {full.then(|| view! { <p class="hint">{format!("Showing the newest {EVENTS_PAGE}; filter to narrow down.")}</p> })}
        </section>
    }
    .into_any()
}

#[component]
fn EventRow(event: EventSummary) -> impl IntoView {
    let open = RwSignal::new(false);
    let id = event.id.clone();
    let payload = LocalResource::new(move || {
        let id = id.clone();
        async move {
            if open.get() {
                Some(get_event_payload(id).await)
            } else {
                None
            }
        }
    });
    let row_id = event.id.clone();
    let status_class = format!("status status-{}", event.status);
    view! {
        <tr data-event=row_id>
            <td><code>{event.type_}</code><br/><span class="muted small">{event.id}</span></td>
            <td><code class="muted">{event.object_id.unwrap_or_default()}</code></td>
            <td>
                <span class=status_class>{event.status}</span>
                {event.last_error.map(|e| view! { <br/><span class="field-error">{e}</span> })}
            </td>
            <td>{event.attempts}</td>
            <td>{event.received_at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
            <td>{event.processed_at.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_else(|| "—".into())}</td>
            <td>
                <button class="link-button" on:click=move |_| open.update(|o| *o = !*o)>
                    {move || if open.get() { "Hide" } else { "Payload" }}
                </button>
            </td>
        </tr>
        <Show when=move || open.get()>
            <tr class="payload-row">
                <td colspan="7">
                    {move || payload.get().flatten().map(|r| match r {
                        Ok(text) => view! { <pre class="payload">{text}</pre> }.into_any(),
                        Err(e) => view! { <p class="field-error">{e.to_string()}</p> }.into_any(),
                    })}
                </td>
            </tr>
        </Show>
    }
}
