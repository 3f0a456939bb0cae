//! Small form pieces the console's forms share.

use crate::model::AppError;
use leptos::prelude::*;

/// The message under one field, when the last attempt failed on that field.
#[component]
pub fn FieldError(error: Signal<Option<AppError>>, field: &'static str) -> impl IntoView {
    move || {
        error
            .get()
            .and_then(|e| e.field_message(field))
            .map(|m| view! { <span class="field-error" role="alert">{m}</span> })
    }
}

/// A Yes/No choice posted as `true`/`false`.
#[component]
pub fn YesNo(name: &'static str, label: &'static str, value: bool) -> impl IntoView {
    view! {
        <label>
            {label}
            <select name=name>
                <option value="true" selected=value>"Yes"</option>
                <option value="false" selected=!value>"No"</option>
            </select>
        </label>
    }
}
