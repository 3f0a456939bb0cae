use crate::helpers::{spawn_app, spawn_app_with_pool, PASSWORD};
use reqwest::StatusCode;

#[tokio::test]
async fn a_cross_origin_sign_up_is_refused_and_stores_nothing() {
    let app = spawn_app().await;
    let form = [
        ("name", "Eve"),
        ("email", "eve@example.com"),
        ("password", PASSWORD),
    ];
    for headers in [
        &[("origin", "https://evil.example")][..],
        &[("sec-fetch-site", "cross-site")][..],
        &[
            ("sec-fetch-site", "same-site"),
            ("origin", "https://billing.example.com"),
        ][..],
        &[("origin", "null")][..],
    ] {
        let mut request = app
            .client
            .post(format!("{}/rpc/auth/signup", app.base))
            .form(&form);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("request");
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{headers:?}");
    }
    assert_eq!(app.user_count().await, 0);
}

#[tokio::test]
async fn a_same_origin_sign_up_from_the_browser_is_accepted() {
    let app = spawn_app().await;
    let host = app.base.trim_start_matches("http://").to_owned();
    let origin = format!("http://{host}");
    let response = app
        .client
        .post(format!("{}/rpc/auth/signup", app.base))
        .header("origin", origin)
        .header("sec-fetch-site", "same-origin")
        .form(&[
            ("name", "Ada"),
            ("email", "ada@example.com"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(app.user_count().await, 1);
}

#[tokio::test]
async fn server_functions_do_not_run_over_get() {
    let app = spawn_app().await;
    let response = app
        .get("/rpc/auth/signup?name=Ada&email=ada%40example.com&password=a-long-enough-password")
        .await;
    assert!(!response.status().is_success(), "{}", response.status());
    assert_eq!(app.user_count().await, 0);
}

#[tokio::test]
async fn an_oversized_server_function_body_is_refused() {
    let app = spawn_app().await;
    let huge = "x".repeat(100 * 1024);
    let response = app
        .client
        .post(format!("{}/rpc/auth/signup", app.base))
        .form(&[
            ("name", huge.as_str()),
            ("email", "ada@example.com"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.user_count().await, 0);
}

#[tokio::test]
async fn health_is_200_with_the_database_and_503_without() {
    let app = spawn_app().await;
    let ok = app.get("/healthz").await;
    assert_eq!(ok.status(), StatusCode::OK);

    let unreachable = sqlx::postgres::PgPoolOptions::new()
        .acquire_timeout(std::time::Duration::from_millis(500))
        .connect_lazy("postgres://postgres@127.0.0.1:1/none")
        .expect("lazy pool");
    let down = spawn_app_with_pool(unreachable).await;
    assert_eq!(
        down.get("/healthz").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
}

#[tokio::test]
async fn session_cookies_are_host_only_http_only_same_site_and_secure_behind_https() {
    let app = spawn_app().await;
    let answer = app.sign_up("Ada", "ada@example.com", PASSWORD).await;
    let cookie = answer.headers["set-cookie"].to_str().expect("ascii");
    assert!(cookie.starts_with("__Host-paydesk_session="), "{cookie}");
    assert!(!cookie.contains("Domain"), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
}
