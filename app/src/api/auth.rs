use crate::model::{AppError, CurrentUser};
use leptos::prelude::*;

/// Whoever is signed in, or `None`.
#[server(prefix = "/rpc", endpoint = "auth/whoami")]
pub async fn whoami() -> Result<Option<CurrentUser>, AppError> {
    use crate::server::context;
    context::respond(context::current_user().await)
}

/// Registers a member and signs them in.
#[server(prefix = "/rpc", endpoint = "auth/signup")]
pub async fn sign_up(name: String, email: String, password: String) -> Result<(), AppError> {
    use crate::model::SignUp;
    use crate::server::redirect::redirect;
    use crate::server::{accounts, context};
    context::respond(
        async move {
            let form = SignUp::parse(&name, &email, password)?;
            let state = context::app_state()?;
            let user = accounts::sign_up(&state.pool, form).await?;
            context::start_session(&user).await?;
            redirect(&user.role.home_path());
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "auth/login")]
pub async fn log_in(
    email: String,
    password: String,
    #[server(default)] next: Option<String>,
) -> Result<(), AppError> {
    use crate::server::redirect::{landing_page, redirect};
    use crate::server::{accounts, context};
    context::respond(
        async move {
            let state = context::app_state()?;
            let user = accounts::log_in(&state.pool, &email, password).await?;
            context::start_session(&user).await?;
            redirect(&landing_page(&user, next.as_deref(), &state.public_url));
            Ok(())
        }
        .await,
    )
}

/// Signs out this browser, or with `everywhere` every browser the user is signed in on.
#[server(prefix = "/rpc", endpoint = "auth/logout")]
pub async fn log_out(#[server(default)] everywhere: bool) -> Result<(), AppError> {
    use crate::model::LocalPath;
    use crate::server::{context, db, error::OrInternal, redirect::redirect};
    context::respond(
        async move {
            if everywhere {
                let state = context::app_state()?;
                let user = context::require_user().await?;
                db::users::revoke_sessions(&state.pool, user.id)
                    .await
                    .or_internal("revoke sessions")?;
            }
            context::end_session().await?;
            redirect(&LocalPath::fixed("/login"));
            Ok(())
        }
        .await,
    )
}
