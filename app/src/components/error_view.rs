use crate::model::AppError;
use leptos::prelude::*;

/// Shows errors caught by an `ErrorBoundary`. Only `AppError` messages are shown, and those are
/// written for users; anything else becomes a generic message.
#[component]
pub fn ErrorView(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let messages = move || {
        errors
            .get()
            .into_iter()
            .map(|(_, e)| match e.downcast_ref::<AppError>() {
                Some(app) => app.to_string(),
                None => AppError::Internal.to_string(),
            })
            .collect::<Vec<_>>()
    };
    view! {
        <div class="alert alert-error" role="alert">
            <For each=messages key=|m| m.clone() let:message>
                <p>{message}</p>
            </For>
        </div>
    }
}

/// The message of a failed action, shown under a form.
#[component]
pub fn FormError(error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }
        })
    }
}

/// A server function's answer once it has come: "Loading…" before, the error in its place if
/// it failed, and while it is read again the previous answer stays on screen.
#[component]
pub fn Loaded<T, F, V>(resource: Resource<Result<T, AppError>>, show: F) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    F: Fn(T) -> V + Copy + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                {move || Suspend::new(async move { resource.await.map(show) })}
            </ErrorBoundary>
        </Transition>
    }
}

/// The buttons that end a list's filter form: apply, and back to the unfiltered first page.
#[component]
pub fn FilterActions(
    path: &'static str,
    #[prop(default = "Filter")] label: &'static str,
) -> impl IntoView {
    view! {
        <div class="filter-actions">
            <button class="button primary" type="submit">{label}</button>
            <a href=path class="button secondary">"Clear"</a>
        </div>
    }
}
