use crate::helpers::{spawn_app, ADMIN_EMAIL, PASSWORD};
use reqwest::StatusCode;

#[tokio::test]
async fn visitors_opening_the_console_are_sent_to_sign_in() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/admin", app.base))
        .header("accept", "text/html")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers()["location"], "/login?next=/admin");
}

#[tokio::test]
async fn members_opening_the_console_get_403() {
    let app = spawn_app().await;
    app.sign_up("Ada", "ada@example.com", PASSWORD).await;
    let response = app.get("/admin").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let html = response.text().await.expect("html");
    assert!(html.contains("Access refused"));
    assert!(!html.contains("Monthly recurring revenue"));
}

#[tokio::test]
async fn admins_see_the_console_rendered_on_the_server() {
    let app = spawn_app().await;
    app.create_admin().await;
    app.log_in(ADMIN_EMAIL, PASSWORD).await;
    let response = app.get("/admin").await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.expect("html");
    assert!(html.contains("Monthly recurring revenue"), "{html}");
    assert!(
        html.contains("<svg"),
        "the charts are drawn on the server: {html}"
    );
    assert!(html.contains(ADMIN_EMAIL));
}

#[tokio::test]
async fn members_see_their_billing_area() {
    let app = spawn_app().await;
    app.sign_up("Ada Lovelace", "ada@example.com", PASSWORD)
        .await;
    let response = app.get("/billing").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response
        .text()
        .await
        .expect("html")
        .contains("Welcome, Ada Lovelace"));
}

#[tokio::test]
async fn unknown_pages_answer_404_with_the_not_found_page() {
    let app = spawn_app().await;
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response
        .text()
        .await
        .expect("html")
        .contains("Page not found"));
}

#[tokio::test]
async fn the_demo_seed_is_idempotent() {
    let app = spawn_app().await;
    paydesk::demo::seed(&app.pool).await.expect("first seed");
    paydesk::demo::seed(&app.pool).await.expect("second seed");
    assert_eq!(app.user_count().await, 3);
    let products = sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM products"#)
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(products, 4, "two plans, a top-up and a ticket, once each");
}
