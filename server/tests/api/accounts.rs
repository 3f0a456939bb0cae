use crate::helpers::{spawn_app, ADMIN_EMAIL, PASSWORD};
use app::model::{AppError, CurrentUser, Role};
use reqwest::StatusCode;

#[tokio::test]
async fn sign_up_creates_a_member_signs_them_in_and_stores_only_a_hash() {
    let app = spawn_app().await;

    let answer = app
        .sign_up("Ada Lovelace", " Ada@Example.com ", PASSWORD)
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers["location"], "/billing");

    let me = app.call::<Option<CurrentUser>>("auth/whoami", &[]).await;
    let me = me.body.expect("whoami").expect("signed in");
    assert_eq!(me.email, "ada@example.com");
    assert_eq!(me.role, Role::Member);

    let hash =
        sqlx::query_scalar!("SELECT password_hash FROM users WHERE email = 'ada@example.com'")
            .fetch_one(&app.pool)
            .await
            .expect("row");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains(PASSWORD));
}

#[tokio::test]
async fn sign_up_with_bad_input_says_which_field_and_stores_nothing() {
    let app = spawn_app().await;
    let cases = [
        ("Ada", "", PASSWORD, "email", "Enter your email address."),
        (
            "Ada",
            "not-an-email",
            PASSWORD,
            "email",
            "Enter a valid email address.",
        ),
        (
            "Ada",
            "ada@example.com",
            "short",
            "password",
            "Use at least 10 characters.",
        ),
        (
            "  ",
            "ada@example.com",
            PASSWORD,
            "name",
            "Enter your name.",
        ),
    ];
    for (name, email, password, field, message) in cases {
        let answer = app.sign_up(name, email, password).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{email}/{password}");
        assert_eq!(
            answer.body,
            Err(AppError::Validation {
                field: field.into(),
                message: message.into()
            })
        );
    }
    assert_eq!(app.user_count().await, 0);
}

#[tokio::test]
async fn sign_up_with_a_taken_email_in_any_case_is_refused_and_stores_nothing() {
    let app = spawn_app().await;
    app.sign_up("Ada", "ada@example.com", PASSWORD).await;

    let again = app
        .another_visitor()
        .sign_up("Impostor", "ADA@example.com", "another-password-1")
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(
        again.body,
        Err(AppError::Conflict(
            "An account with this email address already exists.".into()
        ))
    );
    assert_eq!(app.user_count().await, 1);
}

#[tokio::test]
async fn log_in_sends_admins_to_the_console_and_members_to_billing() {
    let app = spawn_app().await;
    app.create_admin().await;
    app.sign_up("Ada", "ada@example.com", PASSWORD).await;

    let admin = app.another_visitor();
    let answer = admin.log_in(ADMIN_EMAIL, PASSWORD).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers["location"], "/admin");

    let member = app.another_visitor();
    let answer = member.log_in("ada@example.com", PASSWORD).await;
    assert_eq!(answer.headers["location"], "/billing");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let app = spawn_app().await;
    app.sign_up("Ada", "ada@example.com", PASSWORD).await;
    let visitor = app.another_visitor();

    let wrong_password = visitor.log_in("ada@example.com", "not-the-password").await;
    let unknown_email = visitor.log_in("nobody@example.com", PASSWORD).await;
    for answer in [&wrong_password, &unknown_email] {
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            answer.body,
            Err(AppError::Unauthorized(
                "The email or password is incorrect.".into()
            ))
        );
    }
    let me = visitor
        .call::<Option<CurrentUser>>("auth/whoami", &[])
        .await;
    assert_eq!(me.body, Ok(None));
}

#[tokio::test]
async fn repeated_failures_are_slowed_down_even_for_the_right_password() {
    let app = spawn_app().await;
    app.sign_up("Ada", "ada@example.com", PASSWORD).await;
    let attacker = app.another_visitor();
    for _ in 0..5 {
        let answer = attacker
            .log_in("ada@example.com", "guess-guess-guess")
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
    let throttled = attacker.log_in("ada@example.com", PASSWORD).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        matches!(throttled.body, Err(AppError::TooManyRequests(m)) if m.contains("Try again in"))
    );

    // Unknown addresses are throttled alike, so the throttle tells nothing about who has an account.
    for _ in 0..5 {
        attacker
            .log_in("nobody@example.com", "guess-guess-guess")
            .await;
    }
    let unknown = attacker
        .log_in("nobody@example.com", "guess-guess-guess")
        .await;
    assert_eq!(unknown.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn log_out_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    app.sign_up("Ada", "ada@example.com", PASSWORD).await;
    let url = app.base.parse().expect("url");
    let stolen_cookie = reqwest::cookie::CookieStore::cookies(&*app.cookies, &url).expect("cookie");

    let answer = app.call::<()>("auth/logout", &[]).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers["location"], "/login");

    // The old cookie, replayed, no longer names a session.
    let replay = app
        .another_visitor()
        .client
        .post(format!("{}/rpc/auth/whoami", app.base))
        .header("cookie", stolen_cookie)
        .send()
        .await
        .expect("request");
    let me: Option<CurrentUser> = replay.json().await.expect("json");
    assert_eq!(me, None);
}

#[tokio::test]
async fn admin_functions_answer_401_to_visitors_and_403_to_members() {
    let app = spawn_app().await;
    app.create_admin().await;

    let visitor = app.call::<serde_json::Value>("admin/dashboard", &[]).await;
    assert_eq!(visitor.status, StatusCode::UNAUTHORIZED);
    assert_eq!(visitor.body, Err(AppError::sign_in_required()));

    let member = app.another_visitor();
    member.sign_up("Ada", "ada@example.com", PASSWORD).await;
    let refused = member
        .call::<serde_json::Value>("admin/dashboard", &[])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.body, Err(AppError::Forbidden));

    let admin = app.another_visitor();
    admin.log_in(ADMIN_EMAIL, PASSWORD).await;
    let dashboard = admin
        .call::<serde_json::Value>("admin/dashboard", &[])
        .await;
    assert_eq!(dashboard.status, StatusCode::OK);
    let dashboard = dashboard.body.expect("dashboard");
    assert_eq!(dashboard["mode"], "test");
    assert_eq!(dashboard["active"], 0);
}

#[tokio::test]
async fn the_billing_area_is_for_members_only() {
    let app = spawn_app().await;
    app.create_admin().await;
    assert_eq!(
        app.call::<serde_json::Value>("billing/overview", &[])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    app.log_in(ADMIN_EMAIL, PASSWORD).await;
    assert_eq!(
        app.call::<serde_json::Value>("billing/overview", &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}
