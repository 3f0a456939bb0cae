use crate::components::auth::use_auth;
use crate::components::centered_card::CenteredCard;
use crate::components::error_view::FormError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn Login() -> impl IntoView {
    let auth = use_auth();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = Signal::derive(move || auth.log_in.value().get().and_then(Result::err));
    let pending = auth.log_in.pending();
    view! {
        <Title text="Sign in"/>
        <CenteredCard heading="Sign in to Paydesk">
            <ActionForm action=auth.log_in>
                <input type="hidden" name="next" value=next/>
                <label>
                    "Email"
                    <input type="email" name="email" autocomplete="email" required/>
                </label>
                <label>
                    "Password"
                    <input
                        type="password"
                        name="password"
                        autocomplete="current-password"
                        required
                    />
                </label>
                <FormError error/>
                <button type="submit" class="button primary" disabled=pending>
                    {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
            <p class="muted">"New here? " <a href="/signup">"Create an account"</a></p>
        </CenteredCard>
    }
}
