//! Where an invitation link lands: the invitee picks a name and password (or gives the
//! password of the account they already have) and becomes an admin.

use crate::api::console::get_invitation;
use crate::components::auth::use_auth;
use crate::components::centered_card::CenteredCard;
use crate::components::error_view::FormError;
use crate::components::form_fields::FieldError;
use crate::components::status::set_http_status;
use crate::model::{AppError, Password};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn AcceptInvite() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token").unwrap_or_default());
    let invitation = Resource::new(token, get_invitation);
    let auth = use_auth();
    let error = Signal::derive(move || auth.accept_invite.value().get().and_then(Result::err));
    let general = Signal::derive(move || {
        error
            .get()
            .filter(|e| !matches!(e, AppError::Validation { .. }))
    });
    view! {
        <Title text="Join as an admin"/>
        <CenteredCard heading="Join the console">
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match invitation.await {
                        Err(_) => {
                            set_http_status(404);
                            view! {
                                <p class="alert alert-error" role="alert">
                                    "This invitation link is not valid: it may have been used, "
                                    "revoked, or have expired. Ask an admin for a new one."
                                </p>
                            }.into_any()
                        }
                        Ok(invite) => view! {
                            <p>"You are invited to be an admin as " <strong>{invite.email.clone()}</strong> "."</p>
                            <ActionForm action=auth.accept_invite>
                                <input type="hidden" name="token" value=token()/>
                                {if invite.has_account {
                                    view! {
                                        <p class="muted">"This email already has an account: confirm with its password."</p>
                                        <label>
                                            "Password"
                                            <input type="password" name="password" autocomplete="current-password" required/>
                                            <FieldError error field="password"/>
                                        </label>
                                    }.into_any()
                                } else {
                                    view! {
                                        <label>
                                            "Name"
                                            <input type="text" name="name" autocomplete="name" required/>
                                            <FieldError error field="name"/>
                                        </label>
                                        <label>
                                            "Password"
                                            <input type="password" name="password" autocomplete="new-password"
                                                minlength=Password::MIN_LEN required/>
                                            <span class="hint">{format!("At least {} characters.", Password::MIN_LEN)}</span>
                                            <FieldError error field="password"/>
                                        </label>
                                    }.into_any()
                                }}
                                <FormError error=general/>
                                <button type="submit" class="button primary"
                                    disabled=move || auth.accept_invite.pending().get()>
                                    "Join as admin"
                                </button>
                            </ActionForm>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </CenteredCard>
    }
}
