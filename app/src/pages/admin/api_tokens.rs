//! REST API tokens: who each acts as, when it was last used, revoking, and making one. A new
//! token's secret is shown once, right after it is made; Paydesk keeps only its hash.

use crate::api::invoices::{get_api_tokens, revoke_api_token, CreateApiToken};
use crate::components::error_view::{ErrorView, FormError};
use crate::components::form_fields::FieldError;
use crate::model::{ApiTokenView, AppError, CreatedApiToken};
use chrono::{DateTime, Utc};
use leptos::html;
use leptos::prelude::*;
use leptos_meta::Title;
use uuid::Uuid;

type RevokeAction = Action<Uuid, Result<(), AppError>>;

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

#[component]
pub fn ApiTokens() -> impl IntoView {
    let create = ServerAction::<CreateApiToken>::new();
    let revoke: RevokeAction = Action::new(|id: &Uuid| revoke_api_token(*id));
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| get_api_tokens(),
    );
    let revoke_error = Signal::derive(move || revoke.value().get().and_then(Result::err));
    view! {
        <Title text="API tokens"/>
        <h1>"API tokens"</h1>
        <p class="muted">
            "Tokens for Paydesk's REST API. An admin token sees everything; a member token acts "
            "as that member only. Send it as " <code>"Authorization: Bearer …"</code> "."
        </p>
        <CreateToken create/>
        <FormError error=revoke_error/>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                {move || Suspend::new(async move {
                    tokens.await.map(|list| view! { <TokenTable tokens=list revoke/> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn CreateToken(create: ServerAction<CreateApiToken>) -> impl IntoView {
    let scope = RwSignal::new("admin".to_owned());
    let form = NodeRef::<html::Form>::new();
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    let created = move || create.value().get().and_then(Result::ok);
    // A made token leaves an empty form behind, so a second click does not make another.
    Effect::new(move |_| {
        if created().is_some() {
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
            scope.set("admin".to_owned());
        }
    });
    let member_field = move || {
        if scope.get() == "member" {
            view! {
                <label>
                    "Member email"
                    <input type="email" name="form[member_email]" placeholder="member@example.com" required/>
                </label>
                <FieldError error field="member_email"/>
            }
            .into_any()
        } else {
            view! { <input type="hidden" name="form[member_email]" value=""/> }.into_any()
        }
    };
    view! {
        <section class="card">
            <h2>"New token"</h2>
            {move || created().map(|c| view! { <NewSecret created=c on_done=move || create.value().set(None)/> })}
            <ActionForm action=create node_ref=form attr:class="form">
                <label>
                    "Name"
                    <input type="text" name="form[name]" maxlength="80" placeholder="Reporting script" required/>
                </label>
                <FieldError error field="name"/>
                <fieldset class="choices">
                    <legend>"Acts as"</legend>
                    <label class="choice">
                        <input type="radio" name="form[scope]" value="admin" checked
                            on:change=move |_| scope.set("admin".into())/>
                        "Admin: every member, product and payment"
                    </label>
                    <label class="choice">
                        <input type="radio" name="form[scope]" value="member"
                            on:change=move |_| scope.set("member".into())/>
                        "One member: only their own billing"
                    </label>
                    <FieldError error field="scope"/>
                </fieldset>
                {member_field}
                {move || error.get().filter(|e| !matches!(e, AppError::Validation { .. })).map(|e| view! {
                    <div class="alert alert-error" role="alert">{e.to_string()}</div>
                })}
                <button class="button primary" type="submit" disabled=move || create.pending().get()>
                    "Create token"
                </button>
            </ActionForm>
        </section>
    }
}

#[component]
fn NewSecret(
    created: CreatedApiToken,
    on_done: impl Fn() + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <div class="alert alert-ok secret" role="status" data-testid="new-token">
            <p>
                <strong>{format!("Token “{}” created.", created.token.name)}</strong>
                " Copy it now; it will not be shown again."
            </p>
            <input
                type="text"
                class="secret-value"
                readonly
                aria-label="New token secret"
                data-testid="token-secret"
                value=created.secret
                on:focus=|ev| {
                    #[cfg(feature = "hydrate")]
                    {
                        use wasm_bindgen::JsCast;
                        if let Some(input) = ev
                            .target()
                            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                        {
                            input.select();
                        }
                    }
                    #[cfg(not(feature = "hydrate"))]
                    let _ = ev;
                }
            />
            <button type="button" class="button small" on:click=move |_| on_done()>"Done"</button>
        </div>
    }
}

#[component]
fn TokenTable(tokens: Vec<ApiTokenView>, revoke: RevokeAction) -> impl IntoView {
    if tokens.is_empty() {
        return view! { <p class="muted card">"No API tokens yet."</p> }.into_any();
    }
    view! {
        <section class="card table-card">
            <table class="tokens">
                <thead>
                    <tr>
                        <th>"Name"</th><th>"Token"</th><th>"Acts as"</th><th>"Created"</th>
                        <th>"Last used"</th><th>"Status"</th><th></th>
                    </tr>
                </thead>
                <tbody>
                    {tokens.into_iter().map(|t| view! { <TokenRow token=t revoke/> }).collect_view()}
                </tbody>
            </table>
        </section>
    }
    .into_any()
}

#[component]
fn TokenRow(token: ApiTokenView, revoke: RevokeAction) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let id = token.id;
    let revoked = token.revoked_at.is_some();
    view! {
        <tr data-testid="api-token" data-token=id.to_string() class:archived=revoked>
            <td>{token.name}</td>
            <td><code class="masked">{format!("{}…", token.prefix)}</code></td>
            <td class="member">{token.acts_as}</td>
            <td>
                <span class="nowrap">{when(token.created_at)}</span>
                {token.created_by.map(|by| view! { <br/><span class="muted small">{format!("by {by}")}</span> })}
            </td>
            <td class="nowrap">{token.last_used_at.map(when).unwrap_or_else(|| "Never".into())}</td>
            <td>
                {match token.revoked_at {
                    Some(at) => view! {
                        <span class="status is-revoked" data-testid="token-status">"Revoked"</span>
                        <span class="muted small reason">{when(at)}</span>
                    }.into_any(),
                    None => view! { <span class="status is-active" data-testid="token-status">"Active"</span> }.into_any(),
                }}
            </td>
            <td class="row-actions">
                {(!revoked).then(|| view! {
                    <button class="button small danger" aria-expanded=move || confirming.get().to_string()
                        on:click=move |_| confirming.set(true)>
                        "Revoke"
                    </button>
                })}
            </td>
        </tr>
        <Show when=move || confirming.get() && !revoked>
            <tr class="detail-row">
                <td colspan="7">
                    <span class="confirm">
                        <span>"Revoke this token? Anything using it stops working at once."</span>
                        <button class="button small danger" disabled=move || revoke.pending().get()
                            on:click=move |_| { revoke.dispatch(id); }>
                            "Yes, revoke"
                        </button>
                        <button class="link-button" on:click=move |_| confirming.set(false)>"Keep"</button>
                    </span>
                </td>
            </tr>
        </Show>
    }
}
