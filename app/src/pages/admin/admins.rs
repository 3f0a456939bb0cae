//! Who runs the console, and invitations of new admins. An invitation's link is shown once,
//! to the admin who made it, to pass on; it works once, for a week.

use crate::api::console::{get_admins, remove_admin, revoke_invite, InviteAdmin};
use crate::components::auth::use_auth;
use crate::components::error_view::{FormError, Loaded};
use crate::components::form_fields::FieldError;
use crate::model::{AdminsPage, AppError};
use leptos::html;
use leptos::prelude::*;
use leptos_meta::Title;
use uuid::Uuid;

type RevokeAction = Action<Uuid, Result<(), AppError>>;
type RemoveAction = Action<String, Result<(), AppError>>;

#[component]
pub fn Admins() -> impl IntoView {
    let invite = ServerAction::<InviteAdmin>::new();
    let revoke: RevokeAction = Action::new(|id: &Uuid| revoke_invite(*id));
    let remove: RemoveAction = Action::new(|email: &String| remove_admin(email.clone()));
    let page = Resource::new(
        move || {
            (
                invite.version().get(),
                revoke.version().get(),
                remove.version().get(),
            )
        },
        |_| get_admins(),
    );
    let error = Signal::derive(move || invite.value().get().and_then(Result::err));
    let general = Signal::derive(move || {
        error
            .get()
            .filter(|e| !matches!(e, AppError::Validation { .. }))
    });
    let created = move || invite.value().get().and_then(Result::ok);
    let form = NodeRef::<html::Form>::new();
    Effect::new(move |_| {
        if created().is_some() {
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
        }
    });
    let revoke_error = Signal::derive(move || revoke.value().get().and_then(Result::err));
    let remove_error = Signal::derive(move || remove.value().get().and_then(Result::err));
    view! {
        <Title text="Admins"/>
        <h1>"Admins"</h1>
        <section class="card">
            <h2>"Invite an admin"</h2>
            {move || created().map(|c| view! {
                <div class="alert alert-ok secret" role="status" data-testid="invite-link">
                    <p><strong>{format!("Invitation for {} made.", c.email)}</strong>
                    {format!(" Send them this link; it works once, until {}. It will not be shown again.",
                        c.expires_at.format("%Y-%m-%d"))}</p>
                    <input type="text" class="secret-value" readonly aria-label="Invitation link"
                        value=c.link/>
                </div>
            })}
            <ActionForm action=invite node_ref=form attr:class="form">
                <label>
                    "Email"
                    <input type="email" name="form[email]" required placeholder="colleague@example.com"/>
                </label>
                <FieldError error field="email"/>
                <FormError error=general/>
                <button class="button primary" type="submit" disabled=move || invite.pending().get()>
                    "Make invitation link"
                </button>
            </ActionForm>
        </section>
        <FormError error=revoke_error/>
        <FormError error=remove_error/>
        <Loaded resource=page show=move |p| view! { <AdminTables page=p revoke remove/> }/>
    }
}

#[component]
fn AdminTables(page: AdminsPage, revoke: RevokeAction, remove: RemoveAction) -> impl IntoView {
    let auth = use_auth();
    let me = move || {
        auth.user
            .get()
            .and_then(Result::ok)
            .flatten()
            .map(|u| u.email)
    };
    // Removing takes two clicks: the first asks, the second (on the same row) removes.
    let confirming = RwSignal::new(None::<String>);
    view! {
        <section class="card table-card">
            <h2>"Admins"</h2>
            <table>
                <thead><tr><th>"Name"</th><th>"Email"</th><th>"Since"</th><th></th></tr></thead>
                <tbody>
                    {page.admins.into_iter().map(|a| {
                        let email = a.email.clone();
                        let is_me = {
                            let email = email.clone();
                            move || me().as_deref() == Some(email.as_str())
                        };
                        let asking = {
                            let email = email.clone();
                            move || confirming.get().as_deref() == Some(email.as_str())
                        };
                        view! {
                            <tr data-testid="admin-row">
                                <td>{a.name}</td>
                                <td>{a.email}</td>
                                <td class="nowrap">{a.created_at.format("%Y-%m-%d").to_string()}</td>
                                <td>
                                    <Show when=move || !is_me()>
                                        {
                                            let email = email.clone();
                                            let asking = asking.clone();
                                            move || {
                                                let email = email.clone();
                                                if asking() {
                                                    view! {
                                                        <button class="link-button danger" on:click=move |_| {
                                                            confirming.set(None);
                                                            remove.dispatch(email.clone());
                                                        }>
                                                            "Confirm: remove and sign out"
                                                        </button>
                                                    }.into_any()
                                                } else {
                                                    view! {
                                                        <button class="link-button" on:click=move |_| {
                                                            confirming.set(Some(email.clone()));
                                                        }>
                                                            "Remove"
                                                        </button>
                                                    }.into_any()
                                                }
                                            }
                                        }
                                    </Show>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
        <section class="card table-card">
            <h2>"Invitations"</h2>
            {if page.invites.is_empty() {
                view! { <p class="muted">"None yet."</p> }.into_any()
            } else {
                view! {
                    <table>
                        <thead><tr><th>"Email"</th><th>"Invited by"</th><th>"Made"</th><th>"State"</th><th></th></tr></thead>
                        <tbody>
                            {page.invites.into_iter().map(|i| {
                                let id = i.id;
                                let pending = i.state == "pending";
                                view! {
                                    <tr data-testid="invite-row">
                                        <td>{i.email}</td>
                                        <td>{i.invited_by.unwrap_or_else(|| "—".into())}</td>
                                        <td class="nowrap">{i.created_at.format("%Y-%m-%d").to_string()}</td>
                                        <td>{i.state}</td>
                                        <td>{pending.then(|| view! {
                                            <button class="link-button" on:click=move |_| { revoke.dispatch(id); }>
                                                "Revoke"
                                            </button>
                                        })}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}
