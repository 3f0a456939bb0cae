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
    use crate::server::{accounts, context};
    context::respond(
        async move {
            let form = SignUp::parse(&name, &email, password)?;
            let state = context::app_state()?;
            let user = accounts::sign_up(&state.pool, form).await?;
            context::start_session(&user).await?;
            leptos_axum::redirect(user.role.home());
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
    use crate::server::{accounts, context};
    context::respond(
        async move {
            let state = context::app_state()?;
            let user = accounts::log_in(&state.pool, &email, password).await?;
            context::start_session(&user).await?;
            leptos_axum::redirect(&landing_page(&user, next.as_deref()));
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "auth/logout")]
pub async fn log_out() -> Result<(), AppError> {
    use crate::server::context;
    context::respond(
        async move {
            context::end_session().await?;
            leptos_axum::redirect("/login");
            Ok(())
        }
        .await,
    )
}

/// Where to go after signing in: the page that asked for it when it is one of ours and the
/// user may see it, otherwise the role's home. Never another site (`//evil.example`).
pub fn landing_page(user: &CurrentUser, next: Option<&str>) -> String {
    let allowed = |path: &str| {
        path.starts_with('/')
            && !path.starts_with("//")
            && !path.contains('\\')
            && (user.is_admin() || !path.starts_with("/admin"))
    };
    match next {
        Some(path) if allowed(path) => path.to_owned(),
        _ => user.role.home().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Role;

    fn user(role: Role) -> CurrentUser {
        CurrentUser {
            id: uuid::Uuid::nil(),
            email: "a@b.co".into(),
            name: "A".into(),
            role,
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn landing_page_follows_local_paths_only() {
        let member = user(Role::Member);
        assert_eq!(
            landing_page(&member, Some("/billing/invoices")),
            "/billing/invoices"
        );
        assert_eq!(landing_page(&member, Some("//evil.example")), "/billing");
        assert_eq!(
            landing_page(&member, Some("https://evil.example")),
            "/billing"
        );
        assert_eq!(landing_page(&member, Some("/\\evil.example")), "/billing");
        assert_eq!(landing_page(&member, None), "/billing");
    }

    #[test]
    fn members_are_not_sent_to_the_console() {
        assert_eq!(
            landing_page(&user(Role::Member), Some("/admin")),
            "/billing"
        );
        assert_eq!(landing_page(&user(Role::Admin), Some("/admin")), "/admin");
    }
}
