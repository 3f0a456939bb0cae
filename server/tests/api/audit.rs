#![allow(clippy::unwrap_used)] // a test's panic is its failure report
//! The audit log: written by admin actions, listed and filtered in the console, never changed.

use crate::helpers::{api_token, sign_up_member, spawn_app_with_stripe, TestApp, ADMIN_EMAIL};
use app::model::{AuditEntry, Page};
use reqwest::StatusCode;

async fn audit(app: &TestApp, filters: &[(&str, &str)]) -> Page<AuditEntry> {
    let mut form = vec![
        ("query[action]", ""),
        ("query[actor]", ""),
        ("query[target]", ""),
    ];
    for (key, value) in filters {
        form.retain(|(k, _)| k != key);
        form.push((key, value));
    }
    app.call("admin/audit", &form).await.ok()
}

#[tokio::test]
async fn admin_actions_are_listed_newest_first_filtered_and_never_changed() {
    let (app, _emulator) = spawn_app_with_stripe().await;
    let (member, _) = sign_up_member(&app, "audited@example.com").await;
    api_token(&app, "member", "audited@example.com").await;
    let profile = [
        ("profile[name]", "Acme GmbH"),
        ("profile[email]", "billing@acme.test"),
        ("profile[address]", "Hauptstraße 1\n10115 Berlin"),
        ("profile[tax_id]", "DE123456789"),
        ("profile[has_logo]", "false"),
        ("profile[remove_logo]", "false"),
    ];
    app.call::<serde_json::Value>("admin/invoice-profile/save", &profile)
        .await
        .ok();

    let all = audit(&app, &[]).await;
    assert_eq!(all.items[0].action, "settings.invoice_profile.updated");
    assert_eq!(all.items[0].actor_email, ADMIN_EMAIL);
    assert!(
        all.items[0].details.contains("name: (none) → Acme GmbH"),
        "{}",
        all.items[0].details
    );
    assert!(all.items.iter().any(|e| e.action == "api_token.created"));
    assert!(all
        .items
        .windows(2)
        .all(|w| w[0].created_at >= w[1].created_at));

    let tokens = audit(&app, &[("query[action]", "api_token.")]).await;
    assert_eq!(tokens.items.len(), 1);
    assert!(tokens.items[0].details.contains("audited@example.com"));
    let nobody = audit(&app, &[("query[actor]", "someone-else")]).await;
    assert!(nobody.items.is_empty());
    let bad = app
        .call::<serde_json::Value>(
            "admin/audit",
            &[
                ("query[action]", ""),
                ("query[actor]", ""),
                ("query[target]", ""),
                ("query[after]", "x"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    // Members cannot read it.
    let refused = member
        .call::<serde_json::Value>(
            "admin/audit",
            &[
                ("query[action]", ""),
                ("query[actor]", ""),
                ("query[target]", ""),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // Append-only: the database refuses edits and deletions.
    assert!(sqlx::query("UPDATE audit_log SET action = 'forged'")
        .execute(&app.pool)
        .await
        .is_err());
    assert!(sqlx::query("DELETE FROM audit_log")
        .execute(&app.pool)
        .await
        .is_err());
    // Deleting an admin account keeps its entries (actor_email stays, the link is cleared).
    sqlx::query("DELETE FROM api_tokens")
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM users WHERE email = $1")
        .bind(ADMIN_EMAIL)
        .execute(&app.pool)
        .await
        .unwrap();
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE actor_email = $1")
        .bind(ADMIN_EMAIL)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(kept >= 3);
}
