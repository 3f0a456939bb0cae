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
