//! Settings > Invoice details: the seller block and logo printed on Paydesk's invoice PDFs.
//! A picked logo is read in the browser and sent as base64 with the rest of the form.

use crate::api::invoices::{get_invoice_profile, SaveInvoiceProfile};
use crate::components::error_view::ErrorView;
use crate::components::form_fields::FieldError;
use crate::model::{AppError, InvoiceProfile, MAX_LOGO_BYTES};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn InvoiceDetails() -> impl IntoView {
    let save = ServerAction::<SaveInvoiceProfile>::new();
    // Bumped only by a successful save: a refused one keeps what was typed on screen.
    let saved = RwSignal::new(0u32);
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            saved.update(|n| *n += 1);
        }
    });
    let profile = Resource::new(move || saved.get(), |_| get_invoice_profile());
    view! {
        <Title text="Invoice details"/>
        <h1>"Invoice details"</h1>
        <p class="muted">"The seller shown on every invoice PDF Paydesk makes: your name, address, tax number and logo."</p>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                {move || Suspend::new(async move {
                    profile.await.map(|p| view! { <ProfileForm profile=p save/> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn ProfileForm(profile: InvoiceProfile, save: ServerAction<SaveInvoiceProfile>) -> impl IntoView {
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    let saved = move || matches!(save.value().get(), Some(Ok(_)));
    let pending = save.pending();
    // The new logo as base64 PNG, once read; and whether the stored one goes.
    let logo = RwSignal::new(None::<String>);
    let logo_error = RwSignal::new(None::<String>);
    let remove_logo = RwSignal::new(false);
    let has_logo = profile.has_logo;
    let on_pick = move |ev: leptos::ev::Event| {
        logo_error.set(None);
        #[cfg(feature = "hydrate")]
        picked::read_png(ev, move |read| match read {
            Ok(png) => {
                if png.is_some() {
                    remove_logo.set(false);
                }
                logo.set(png);
            }
            Err(message) => {
                logo.set(None);
                logo_error.set(Some(message));
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let logo_state = move || {
        match (logo.get(), has_logo, remove_logo.get()) {
        (Some(png), _, _) => view! {
            <span class="logo-preview">
                <img src=format!("data:image/png;base64,{png}") alt="New logo"/>
                <span class="muted small">"New logo, saved with the form."</span>
            </span>
        }
        .into_any(),
        (None, true, false) => view! {
            <span class="logo-preview">
                <span class="muted">"A logo is set."</span>
                <button type="button" class="link-button" on:click=move |_| remove_logo.set(true)>"Remove logo"</button>
            </span>
        }
        .into_any(),
        (None, true, true) => view! {
            <span class="logo-preview">
                <span class="muted">"The logo will be removed when you save."</span>
                <button type="button" class="link-button" on:click=move |_| remove_logo.set(false)>"Keep logo"</button>
            </span>
        }
        .into_any(),
        (None, false, _) => view! { <span class="muted small">"No logo: the seller's name is printed instead."</span> }.into_any(),
    }
    };
    let p = profile;
    view! {
        <ActionForm action=save attr:class="card form settings-form">
            <h2>"Seller"</h2>
            <div class="grid-2">
                <div class="field">
                    <label>
                        "Business name"
                        <input type="text" name="profile[name]" value=p.name maxlength="120" autocomplete="organization"/>
                    </label>
                    <FieldError error field="name"/>
                </div>
                <div class="field">
                    <label>
                        "Billing email"
                        <input type="email" name="profile[email]" value=p.email maxlength="254"/>
                    </label>
                    <FieldError error field="email"/>
                </div>
            </div>
            <div class="field">
                <label>
                    "Address"
                    <textarea name="profile[address]" rows="4" maxlength="500">{p.address}</textarea>
                </label>
                <span class="hint">"Each line is printed as its own line."</span>
                <FieldError error field="address"/>
            </div>
            <div class="field">
                <label>
                    "Tax ID"
                    <input type="text" name="profile[tax_id]" value=p.tax_id maxlength="60" placeholder="DE123456789"/>
                </label>
                <FieldError error field="tax_id"/>
            </div>
            <h2>"Logo"</h2>
            <div class="field">
                {logo_state}
                <label>
                    "Upload a PNG"
                    <input type="file" accept="image/png" on:change=on_pick/>
                </label>
                <span class="hint">{format!("PNG up to {} KB, printed at the top of the invoice.", MAX_LOGO_BYTES / 1024)}</span>
                {move || logo_error.get().map(|m| view! { <span class="field-error" role="alert">{m}</span> })}
                <FieldError error field="logo"/>
            </div>
            <input type="hidden" name="profile[has_logo]" value=has_logo.to_string()/>
            <input type="hidden" name="profile[remove_logo]" value=move || remove_logo.get().to_string()/>
            {move || logo.get().map(|png| view! { <input type="hidden" name="profile[logo_png_base64]" value=png/> })}
            {move || error.get().filter(|e| !matches!(e, AppError::Validation { .. })).map(|e| view! {
                <div class="alert alert-error" role="alert">{e.to_string()}</div>
            })}
            {move || saved().then(|| view! { <p class="alert alert-ok" role="status">"Invoice details saved."</p> })}
            <button type="submit" class="button primary" disabled=pending>
                {move || if pending.get() { "Saving…" } else { "Save invoice details" }}
            </button>
        </ActionForm>
    }
}

/// Reading a picked file in the browser. web-sys's `File`/`FileList` bindings are not enabled
/// in this workspace, so the few calls needed are declared here.
#[cfg(feature = "hydrate")]
mod picked {
    use crate::model::MAX_LOGO_BYTES;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;

    #[wasm_bindgen]
    extern "C" {
        /// An `<input type=file>`, as far as picking one file goes.
        type FileInput;
        #[wasm_bindgen(method, getter)]
        fn files(this: &FileInput) -> Option<Files>;

        type Files;
        #[wasm_bindgen(method)]
        fn item(this: &Files, index: u32) -> Option<PickedFile>;

        type PickedFile;
        #[wasm_bindgen(method, getter)]
        fn size(this: &PickedFile) -> f64;
        #[wasm_bindgen(method, getter, js_name = type)]
        fn mime(this: &PickedFile) -> String;

        #[wasm_bindgen(js_name = FileReader)]
        #[derive(Clone)]
        type Reader;
        #[wasm_bindgen(constructor, js_class = "FileReader")]
        fn new() -> Reader;
        #[wasm_bindgen(method, setter)]
        fn set_onload(this: &Reader, callback: &JsValue);
        #[wasm_bindgen(method, setter)]
        fn set_onerror(this: &Reader, callback: &JsValue);
        #[wasm_bindgen(method, getter)]
        fn result(this: &Reader) -> JsValue;
        #[wasm_bindgen(method, js_name = readAsDataURL)]
        fn read_as_data_url(this: &Reader, file: &PickedFile);
    }

    const PREFIX: &str = "data:image/png;base64,";

    /// Reads the PNG picked in the input behind `ev` and calls `done` with its base64 (without
    /// the data-URL prefix), `None` when nothing is picked, or a message for the admin.
    pub fn read_png(
        ev: leptos::ev::Event,
        done: impl FnOnce(Result<Option<String>, String>) + 'static,
    ) {
        let Some(input) = ev.target() else { return };
        let input: FileInput = JsValue::from(input).unchecked_into();
        let Some(file) = input.files().and_then(|f| f.item(0)) else {
            done(Ok(None));
            return;
        };
        if file.mime() != "image/png" {
            done(Err("Pick a PNG image.".into()));
            return;
        }
        if file.size() > MAX_LOGO_BYTES as f64 {
            done(Err(format!(
                "That image is larger than {} KB.",
                MAX_LOGO_BYTES / 1024
            )));
            return;
        }
        let reader = Reader::new();
        let done = std::rc::Rc::new(std::cell::RefCell::new(Some(done)));
        let on_load = {
            let (reader, done) = (reader.clone(), done.clone());
            Closure::once_into_js(move || {
                let url = reader.result().as_string().unwrap_or_default();
                let read = match url.strip_prefix(PREFIX) {
                    Some(base64) if !base64.is_empty() => Ok(Some(base64.to_owned())),
                    _ => Err("That file could not be read as a PNG.".to_owned()),
                };
                if let Some(done) = done.borrow_mut().take() {
                    done(read);
                }
            })
        };
        let on_error = Closure::once_into_js(move || {
            if let Some(done) = done.borrow_mut().take() {
                done(Err("That file could not be read.".into()));
            }
        });
        reader.set_onload(&on_load);
        reader.set_onerror(&on_error);
        reader.read_as_data_url(&file);
    }
}
