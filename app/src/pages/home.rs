use crate::components::auth::use_auth;
use leptos::prelude::*;
use leptos_router::components::Redirect;

/// `/` sends each visitor where they belong: their home, or the sign-in page.
#[component]
pub fn Home() -> impl IntoView {
    let auth = use_auth();
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                let path = match auth.user.await {
                    Ok(Some(user)) => user.role.home(),
                    _ => "/login",
                };
                view! { <Redirect path/> }
            })}
        </Suspense>
    }
}
