use crate::components::auth::use_auth;
use crate::components::centered_card::CenteredCard;
use crate::components::error_view::FormError;
use crate::model::{AppError, Password};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SignUp() -> impl IntoView {
    let auth = use_auth();
    let error = Signal::derive(move || auth.sign_up.value().get().and_then(Result::err));
    let field = move |name: &'static str| {
        move || {
            error
                .get()
                .and_then(|e| e.field_message(name))
                .map(|message| view! { <span class="field-error">{message}</span> })
        }
    };
    // Field errors show beside their field; anything else (a taken email) above the button.
    let general = Signal::derive(move || {
        error
            .get()
            .filter(|e| !matches!(e, AppError::Validation { .. }))
    });
    let pending = auth.sign_up.pending();
    view! {
        <Title text="Create an account"/>
        <CenteredCard heading="Create your account">
            <ActionForm action=auth.sign_up>
                <label>
                    "Name"
                    <input type="text" name="name" autocomplete="name" required/>
                    {field("name")}
                </label>
                <label>
                    "Email"
                    <input type="email" name="email" autocomplete="email" required/>
                    {field("email")}
                </label>
                <label>
                    "Password"
                    <input
                        type="password"
                        name="password"
                        autocomplete="new-password"
                        minlength=Password::MIN_LEN
                        required
                    />
                    <span class="hint">{format!("At least {} characters.", Password::MIN_LEN)}</span>
                    {field("password")}
                </label>
                <FormError error=general/>
                <button type="submit" class="button primary" disabled=pending>
                    "Create account"
                </button>
            </ActionForm>
            <p class="muted">"Already have an account? " <a href="/login">"Sign in"</a></p>
        </CenteredCard>
    }
}
