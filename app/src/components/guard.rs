use crate::components::auth::use_auth;
use crate::components::centered_card::CenteredCard;
use crate::components::status::set_http_status;
use crate::model::{encode_query_value, CurrentUser, Role};
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum RequiredRole {
    Admin,
    Member,
}

/// Renders `children` for a user of the required role. Anyone else is sent to sign in, or told
/// plainly that the area is not theirs (with a 403 when rendered on the server).
#[component]
pub fn Guard<V, F>(role: RequiredRole, children: F) -> impl IntoView
where
    F: Fn(CurrentUser) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let auth = use_auth();
    let location = use_location();
    let wanted = match role {
        RequiredRole::Admin => Role::Admin,
        RequiredRole::Member => Role::Member,
    };
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {
                let children = children.clone();
                move || {
                    let children = children.clone();
                    Suspend::new(async move {
                        match auth.user.await {
                            Ok(Some(user)) if user.role == wanted => children(user).into_any(),
                            Ok(Some(user)) => {
                                set_http_status(403);
                                view! { <Refused home=user.role.home()/> }.into_any()
                            }
                            Ok(None) => {
                                let mut next = location.pathname.get_untracked();
                                let search = location.search.get_untracked();
                                if !search.is_empty() {
                                    next.push('?');
                                    next.push_str(search.trim_start_matches('?'));
                                }
                                let path = format!("/login?next={}", encode_query_value(&next));
                                view! { <Redirect path/> }.into_any()
                            }
                            Err(e) => {
                                set_http_status(e.status_code());
                                view! {
                                    <div class="alert alert-error" role="alert">{e.to_string()}</div>
                                }
                                    .into_any()
                            }
                        }
                    })
                }
            }
        </Transition>
    }
}

#[component]
fn Refused(home: &'static str) -> impl IntoView {
    view! {
        <CenteredCard heading="Access refused">
            <p>"Your account cannot open this area."</p>
            <a class="button" href=home>"Go to your home page"</a>
        </CenteredCard>
    }
}
