//! Who is signed in, shared by every page. Re-read whenever a sign-in, sign-up or sign-out
//! completes, so the shells follow without a reload.

use crate::api::auth::{whoami, LogIn, LogOut, SignUp};
use crate::api::console::AcceptInvitation;
use crate::model::{AppError, CurrentUser};
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Auth {
    pub log_in: ServerAction<LogIn>,
    pub sign_up: ServerAction<SignUp>,
    pub log_out: ServerAction<LogOut>,
    /// An invited admin's acceptance, which signs them in.
    pub accept_invite: ServerAction<AcceptInvitation>,
    pub user: Resource<Result<Option<CurrentUser>, AppError>>,
}

pub fn provide_auth() {
    let log_in = ServerAction::<LogIn>::new();
    let sign_up = ServerAction::<SignUp>::new();
    let log_out = ServerAction::<LogOut>::new();
    let accept_invite = ServerAction::<AcceptInvitation>::new();
    let user = Resource::new(
        move || {
            (
                log_in.version().get(),
                sign_up.version().get(),
                log_out.version().get(),
                accept_invite.version().get(),
            )
        },
        |_| whoami(),
    );
    provide_context(Auth {
        log_in,
        sign_up,
        log_out,
        accept_invite,
        user,
    });
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

/// Sign-out buttons, for this browser and for every one; real forms, so they work before the
/// page has hydrated too.
#[component]
pub fn SignOut() -> impl IntoView {
    let auth = use_auth();
    view! {
        <ActionForm action=auth.log_out attr:class="sign-out">
            <button type="submit" class="link-button">"Sign out"</button>
        </ActionForm>
        <ActionForm action=auth.log_out attr:class="sign-out">
            <input type="hidden" name="everywhere" value="true"/>
            <button type="submit" class="link-button">"Sign out everywhere"</button>
        </ActionForm>
    }
}
