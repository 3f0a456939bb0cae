//! Webhook events: the inbox of what Stripe sent, newest first, with filters, payloads,
//! replay and a comparison of each object with Stripe's current one.

use crate::api::events::{
    compare_with_stripe, get_event_payload, list_events, replay_events, EVENTS_PAGE,
};
use crate::components::error_view::ErrorView;
use crate::model::{EventSummary, ObjectComparison, EVENT_STATUSES};
use leptos::prelude::*;
use leptos_meta::Title;
use std::collections::BTreeSet;

#[component]
pub fn Events() -> impl IntoView {
    let status = RwSignal::new(String::new());
    let search = RwSignal::new(String::new());
    let selected = RwSignal::new(BTreeSet::<String>::new());
    let replay = Action::new(|ids: &Vec<String>| replay_events(ids.clone()));
    let events = Resource::new(
        move || (status.get(), search.get(), replay.version().get()),
        |(status, search, _)| list_events(status, search),
    );
    let replay_selected = move |_| {
        let ids: Vec<String> = selected.get_untracked().into_iter().collect();
        selected.set(BTreeSet::new());
        replay.dispatch(ids);
    };
    view! {
        <Title text="Webhook events"/>
        <h1>"Webhook events"</h1>
        <p class="muted">
            "Every signed event Stripe delivered, stored once and applied by the event worker. "
            "Replaying is safe: an event older than what is stored changes nothing."
        </p>
        <div class="filters card">
            <label>
                "Status"
                <select on:change=move |ev| status.set(event_target_value(&ev))>
                    <option value="">"All"</option>
                    {EVENT_STATUSES.map(|s| view! { <option value=s>{s}</option> }).collect_view()}
                </select>
            </label>
            <label>
                "Type, event or object ID"
                <input
                    type="search"
                    placeholder="customer.subscription. or sub_..."
                    on:change=move |ev| search.set(event_target_value(&ev))
                />
            </label>
            <button
                class="button"
                data-testid="replay-selected"
                disabled=move || selected.with(BTreeSet::is_empty) || replay.pending().get()
                on:click=replay_selected
            >
                {move || format!("Replay selected ({})", selected.with(BTreeSet::len))}
            </button>
        </div>
        {move || replay.value().get().map(|r| match r {
            Ok(n) => view! { <p class="notice" role="status">{format!("{n} event(s) queued again.")}</p> }.into_any(),
            Err(e) => view! { <p class="field-error" role="alert">{e.to_string()}</p> }.into_any(),
        })}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                {move || Suspend::new(async move {
                    events.await.map(|list| view! { <EventTable events=list selected replay/> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn EventTable(
    events: Vec<EventSummary>,
    selected: RwSignal<BTreeSet<String>>,
    replay: Action<Vec<String>, Result<u64, crate::model::AppError>>,
) -> impl IntoView {
    if events.is_empty() {
        return view! { <p class="muted">"No events match."</p> }.into_any();
    }
    let full = events.len() as i64 >= EVENTS_PAGE;
    view! {
        <section class="card">
            <table class="events">
                <thead>
                    <tr>
                        <th></th><th>"Type"</th><th>"Object"</th><th>"Status"</th><th>"Attempts"</th>
                        <th>"Received"</th><th>"Processed"</th><th></th>
                    </tr>
                </thead>
                <tbody>
                    {events.into_iter().map(|e| view! { <EventRow event=e selected replay/> }).collect_view()}
                </tbody>
            </table>
            {full.then(|| view! { <p class="hint">{format!("Showing the newest {EVENTS_PAGE}; filter to narrow down.")}</p> })}
        </section>
    }
    .into_any()
}

#[component]
fn EventRow(
    event: EventSummary,
    selected: RwSignal<BTreeSet<String>>,
    replay: Action<Vec<String>, Result<u64, crate::model::AppError>>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let id = event.id.clone();
    let payload = LocalResource::new({
        let id = id.clone();
        move || {
            let id = id.clone();
            async move {
                if open.get() {
                    Some(get_event_payload(id).await)
                } else {
                    None
                }
            }
        }
    });
    let compare = Action::new(|id: &String| compare_with_stripe(id.clone()));
    let status_class = format!("status status-{}", event.status);
    let timing = event
        .processing_ms
        .filter(|_| event.processed_at.is_some())
        .map(|ms| format!("applied in {ms} ms"))
        .unwrap_or_default();
    let checked = {
        let id = id.clone();
        move || selected.with(|s| s.contains(&id))
    };
    let toggle = {
        let id = id.clone();
        move |_| {
            selected.update(|s| {
                if !s.remove(&id) {
                    s.insert(id.clone());
                }
            })
        }
    };
    let replay_one = {
        let id = id.clone();
        move |_| {
            replay.dispatch(vec![id.clone()]);
        }
    };
    let compare_one = {
        let id = id.clone();
        move |_| {
            compare.dispatch(id.clone());
        }
    };
    view! {
        <tr data-event=id.clone()>
            <td><input type="checkbox" aria-label="Select event" prop:checked=checked on:change=toggle/></td>
            <td><code>{event.type_}</code><br/><span class="muted small">{event.id}</span></td>
            <td><code class="muted">{event.object_id.unwrap_or_default()}</code></td>
            <td>
                {
                    // An ignored event's note says why; anything else in it is an error.
                    let note_class = if event.status == "ignored" { "reason muted small" } else { "reason field-error" };
                    view! {
                        <span class=status_class>{event.status}</span>
                        {event.last_error.map(|e| view! { <span class=note_class>{e}</span> })}
                    }
                }
            </td>
            <td>{event.attempts}</td>
            <td>{event.received_at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
            <td>
                {event.processed_at.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_else(|| "—".into())}
                <br/><span class="muted small">{timing}</span>
            </td>
            <td>
                <button class="link-button" on:click=move |_| open.update(|o| *o = !*o)>
                    {move || if open.get() { "Hide" } else { "Details" }}
                </button>
            </td>
        </tr>
        <Show when=move || open.get()>
            <tr class="payload-row">
                <td colspan="8">
                    <div class="row-actions">
                        <button class="button secondary" on:click=replay_one.clone()>"Replay"</button>
                        <button class="button secondary" on:click=compare_one.clone()
                            disabled=move || compare.pending().get()>
                            "Compare with Stripe"
                        </button>
                    </div>
                    {move || compare.value().get().map(|r| match r {
                        Ok(c) => view! { <Comparison comparison=c/> }.into_any(),
                        Err(e) => view! { <p class="field-error" role="alert">{e.to_string()}</p> }.into_any(),
                    })}
                    {move || payload.get().flatten().map(|r| match r {
                        Ok(text) => view! { <h3 class="small">"Event payload"</h3><pre class="payload">{text}</pre> }.into_any(),
                        Err(e) => view! { <p class="field-error">{e.to_string()}</p> }.into_any(),
                    })}
                </td>
            </tr>
        </Show>
    }
}

#[component]
fn Comparison(comparison: ObjectComparison) -> impl IntoView {
    let summary = if comparison.differences.is_empty() {
        format!(
            "✓ Paydesk's copy of {} matches Stripe.",
            comparison.object_id
        )
    } else {
        format!(
            "⚠ {} field(s) of {} differ from Stripe. The worker stores the newer state as events \
             arrive; `paydesk reconcile` stores Stripe's now.",
            comparison.differences.len(),
            comparison.object_id
        )
    };
    view! {
        <div class="comparison" data-testid="comparison">
            <p>{summary}</p>
            {(!comparison.differences.is_empty()).then(|| view! {
                <table class="differences">
                    <thead><tr><th>"Field"</th><th>"Paydesk"</th><th>"Stripe"</th></tr></thead>
                    <tbody>
                        {comparison.differences.into_iter().map(|d| view! {
                            <tr><td><code>{d.field}</code></td><td><code>{d.stored}</code></td><td><code>{d.live}</code></td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
            <div class="side-by-side">
                <div>
                    <h3>"Stored in Paydesk"</h3>
                    <pre class="payload">{comparison.stored.unwrap_or_else(|| "Nothing stored yet.".into())}</pre>
                </div>
                <div>
                    <h3>"Live in Stripe"</h3>
                    <pre class="payload">{comparison.live}</pre>
                </div>
            </div>
        </div>
    }
}
