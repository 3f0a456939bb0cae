#![allow(clippy::unwrap_used)] // a test's panic is its failure report
//! Invoices, PDFs, refunds and receipts: a member pays through Checkout against the emulator,
//! webhooks store the invoice, and everything after reads it from Postgres.

use crate::helpers::{
    eventually, eventually_some, pay_checkout, plan_in_catalog, register_webhook, sign_up_member,
    spawn_app_with_stripe, spawn_app_with_stripe_and_env, stripe_get, SmtpSink, TestApp,
};
use app::model::{AppError, InvoiceSummary, Page, PaymentState, PaymentSummary, Redirect};
use reqwest::StatusCode;
use serde_json::Value;

/// A member who paid the €19 "Pro" plan, with its paid invoice stored.
async fn paying_member(
    app: &TestApp,
    emulator: &stripe_emulator::Running,
    email: &str,
) -> (TestApp, InvoiceSummary) {
    let price = match sqlx::query_scalar::<_, String>(
        "SELECT stripe_price_id FROM prices WHERE stripe_price_id IS NOT NULL LIMIT 1",
    )
    .fetch_optional(&app.pool)
    .await
    .unwrap()
    {
        Some(price) => price,
        None => plan_in_catalog(app, emulator, &[]).await,
    };
    let (member, _) = sign_up_member(app, email).await;
    let redirect: Redirect = member
        .call("billing/checkout", &[("price_id", &price)])
        .await
        .ok();
    pay_checkout(
        &serde_json::json!({ "url": redirect.url }),
        "4242424242424242",
    )
    .await;
    let invoice = eventually_some("the paid invoice in the member's list", || async {
        let page: Page<InvoiceSummary> = member.call("billing/invoices", &[]).await.ok();
        page.items.into_iter().find(|i| i.status == "paid")
    })
    .await;
    (member, invoice)
}

async fn pdf_text(bytes: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("paydesk-pdf-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("invoice.pdf");
    std::fs::write(&file, bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", file.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    std::fs::remove_dir_all(&dir).ok();
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn a_paid_invoice_is_listed_for_its_member_and_downloads_as_paydesks_pdf() {
    let (app, emulator) = spawn_app_with_stripe().await;
    register_webhook(&app, &emulator).await;
    let (member, invoice) = paying_member(&app, &emulator, "ivy@example.com").await;
    assert_eq!(invoice.total.to_string(), "€19.00");
    assert_eq!(invoice.status_label(), "Paid");
    assert_eq!(
        invoice.pdf_url,
        format!("/billing/invoices/{}/pdf", invoice.id)
    );

    let response = member.get(&invoice.pdf_url).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    let text = pdf_text(&bytes).await;
    assert!(text.contains(invoice.number.as_deref().unwrap()), "{text}");
    assert!(
        text.contains("Mia Member") || text.contains("Ada Buyer"),
        "{text}"
    );
    assert!(text.contains("€19.00"), "{text}");
    assert!(text.to_uppercase().contains("PAID"), "{text}");

    // The admin downloads the same invoice through the console's session.
    let admin = app.same_browser();
    assert_eq!(admin.get(&invoice.pdf_url).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn another_members_invoice_or_an_unknown_id_is_not_found() {
    let (app, emulator) = spawn_app_with_stripe().await;
    register_webhook(&app, &emulator).await;
    let (_, invoice) = paying_member(&app, &emulator, "owner@example.com").await;
    let (stranger, _) = sign_up_member(&app, "stranger@example.com").await;

    for path in [
        invoice.pdf_url.clone(),
        "/billing/invoices/in_doesnotexist/pdf".to_owned(),
        "/billing/invoices/not-an-id/pdf".to_owned(),
    ] {
        let response = stranger.get(&path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let body = response.text().await.unwrap();
        assert!(
            !body.contains(&invoice.id),
            "a 404 must not echo the invoice"
        );
    }
    let page: Page<InvoiceSummary> = stranger.call("billing/invoices", &[]).await.ok();
    assert!(page.items.is_empty());
    // Signed out: to the sign-in page, never the PDF.
    let visitor = app.another_visitor();
    let response = visitor.get(&invoice.pdf_url).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn with_stripes_invoice_pdf_on_a_download_goes_to_the_hosted_invoice() {
    let (app, emulator) = spawn_app_with_stripe().await;
    register_webhook(&app, &emulator).await;
    let (member, invoice) = paying_member(&app, &emulator, "hosted@example.com").await;
    sqlx::query("UPDATE stripe_settings SET use_stripe_invoice_pdf = true")
        .execute(&app.pool)
        .await
        .unwrap();
    let response = member.get(&invoice.pdf_url).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let hosted = stripe_get(&emulator, &format!("/v1/invoices/{}", invoice.id)).await;
    assert_eq!(
        response.headers()["location"],
        hosted["hosted_invoice_url"].as_str().unwrap()
    );
}

async fn payments(admin: &TestApp, state: &str) -> Vec<PaymentSummary> {
    let page: Page<PaymentSummary> = admin
        .call(
            "admin/payments",
            &[("query[state]", state), ("query[member]", "")],
        )
        .await
        .ok();
    page.items
}

async fn refund(admin: &TestApp, payment: &str, amount: &str) -> Result<String, AppError> {
    admin
        .call::<String>(
            "admin/payments/refund",
            &[
                ("form[payment_id]", payment),
                ("form[amount]", amount),
                ("form[reason]", "requested_by_customer"),
                ("form[note]", "asked by email"),
            ],
        )
        .await
        .body
}

#[tokio::test]
async fn refunds_are_bounded_by_what_is_left_audited_and_shown_once_stripe_confirms() {
    let (app, emulator) = spawn_app_with_stripe().await;
    register_webhook(&app, &emulator).await;
    let (member, invoice) = paying_member(&app, &emulator, "refund@example.com").await;
    let payment = eventually_some("the payment in the console", || async {
        payments(&app, "succeeded").await.into_iter().next()
    })
    .await;
    assert_eq!(payment.member_email.as_deref(), Some("refund@example.com"));
    assert_eq!(payment.method.as_deref(), Some("Visa ending 4242"));
    assert_eq!(payment.invoice_id.as_deref(), Some(invoice.id.as_str()));

    // More than was paid: refused, naming the field, and Stripe is not asked.
    let over = refund(&app, &payment.id, "19.01").await.unwrap_err();
    assert!(matches!(over, AppError::Validation { ref field, .. } if field == "amount"));
    let bad_reason = app
        .call::<String>(
            "admin/payments/refund",
            &[
                ("form[payment_id]", payment.id.as_str()),
                ("form[amount]", "1"),
                ("form[reason]", "because"),
                ("form[note]", ""),
            ],
        )
        .await
        .err();
    assert!(matches!(bad_reason, AppError::Validation { ref field, .. } if field == "reason"));
    let refunds = stripe_get(
        &emulator,
        &format!("/v1/refunds?payment_intent={}", payment.id),
    )
    .await;
    assert_eq!(refunds["data"].as_array().unwrap().len(), 0);

    // A partial refund, then the rest: each comes back by webhook.
    assert!(refund(&app, &payment.id, "4.00")
        .await
        .unwrap()
        .contains("€4.00"));
    eventually("partially refunded", || async {
        payments(&app, "partially_refunded").await.len() == 1
    })
    .await;
    let over = refund(&app, &payment.id, "15.01").await.unwrap_err();
    assert!(matches!(over, AppError::Validation { ref message, .. } if message.contains("€15.00")));
    refund(&app, &payment.id, "").await.unwrap();
    eventually("refunded", || async {
        payments(&app, "refunded").await.first().map(|p| p.state) == Some(PaymentState::Refunded)
    })
    .await;
    let nothing_left = refund(&app, &payment.id, "1").await.unwrap_err();
    assert!(matches!(nothing_left, AppError::Validation { .. }));

    let audit: Vec<(String, String, Value)> = sqlx::query_as(
        "SELECT actor_email, target, details FROM audit_log WHERE action = 'payment.refunded'
         ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[0].1, payment.id);
    assert_eq!(audit[0].2["amount"], 400);
    assert_eq!(audit[1].2["amount"], 1500);
    assert_eq!(audit[1].2["amount_refunded"]["before"], 400);

    // The member's invoice shows the refunds.
    let text = eventually_some("refunds on the PDF", || async {
        let bytes = member.get(&invoice.pdf_url).await.bytes().await.unwrap();
        let text = pdf_text(&bytes).await;
        (text.contains("€15.00") && text.contains("€4.00")).then_some(text)
    })
    .await;
    assert!(text.to_uppercase().contains("REFUNDED"), "{text}");
    let page: Page<InvoiceSummary> = member.call("billing/invoices", &[]).await.ok();
    assert_eq!(page.items[0].status_label(), "Refunded");
}

#[tokio::test]
async fn members_cannot_reach_payments_refunds_invoices_or_tokens_of_the_console() {
    let (app, _emulator) = spawn_app_with_stripe().await;
    let (member, _) = sign_up_member(&app, "nosy@example.com").await;
    for (endpoint, form) in [
        (
            "admin/payments",
            vec![("query[state]", ""), ("query[member]", "")],
        ),
        (
            "admin/invoices",
            vec![
                ("query[member]", ""),
                ("query[status]", ""),
                ("query[currency]", ""),
            ],
        ),
        (
            "admin/payments/refund",
            vec![
                ("form[payment_id]", "pi_x"),
                ("form[amount]", ""),
                ("form[reason]", "duplicate"),
                ("form[note]", ""),
            ],
        ),
        ("admin/api-tokens", vec![]),
        (
            "admin/api-tokens/create",
            vec![
                ("form[name]", "mine"),
                ("form[scope]", "admin"),
                ("form[member_email]", ""),
            ],
        ),
    ] {
        let answer = member.call::<Value>(endpoint, &form).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{endpoint}");
    }
    let tokens: i64 = sqlx::query_scalar("SELECT count(*) FROM api_tokens")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(tokens, 0);
}

#[tokio::test]
async fn a_paid_invoice_is_mailed_once_with_its_pdf_attached() {
    let sink = SmtpSink::start().await;
    let (app, emulator) = spawn_app_with_stripe_and_env(&[
        ("PAYDESK_SMTP_URL", sink.url.as_str()),
        ("PAYDESK_MAIL_FROM", "Billing <billing@example.com>"),
    ])
    .await;
    register_webhook(&app, &emulator).await;
    let (_, invoice) = paying_member(&app, &emulator, "mailme@example.com").await;
    eventually("the receipt in the SMTP sink", || async {
        !sink.messages().is_empty()
    })
    .await;
    let message = sink.messages()[0].clone();
    assert!(message.contains("To: mailme@example.com"), "{message}");
    assert!(message.contains(&format!(
        "Receipt for invoice {}",
        invoice.number.clone().unwrap()
    )));
    assert!(
        message.contains("Content-Type: application/pdf"),
        "{message}"
    );
    let status: String = sqlx::query_scalar("SELECT status FROM receipts WHERE invoice_id = $1")
        .bind(&invoice.id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(status, "sent");

    // Replaying the invoice's events queues nothing new: still one mail.
    sqlx::query("UPDATE stripe_events SET status = 'pending', next_attempt_at = now()")
        .execute(&app.pool)
        .await
        .unwrap();
    eventually("the replay applied", || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM stripe_events WHERE status = 'pending'")
            .fetch_one(&app.pool)
            .await
            .unwrap()
            == 0
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    assert_eq!(sink.messages().len(), 1);
}

/// Rows straight into Postgres: the list's filters and page boundaries need many invoices.
async fn seed_invoices(app: &TestApp, n: usize, status: &str, currency: &str, email: &str) {
    let customer = format!("cus_{}", email.split('@').next().unwrap());
    sqlx::query(
        "INSERT INTO customers (mode, id, email, name) VALUES ('test', $1, $2, 'Seeded')
         ON CONFLICT DO NOTHING",
    )
    .bind(&customer)
    .bind(email)
    .execute(&app.pool)
    .await
    .unwrap();
    for i in 0..n {
        sqlx::query(
            "INSERT INTO invoices (mode, id, customer_id, status, currency, total, created,
                                   customer_email)
             VALUES ('test', $1, $2, $3, $4, 1000, now() - make_interval(days => $5), $6)",
        )
        .bind(format!("in_{customer}_{status}_{i}"))
        .bind(&customer)
        .bind(status)
        .bind(currency)
        .bind(i as i32)
        .bind(email)
        .execute(&app.pool)
        .await
        .unwrap();
    }
}

async fn admin_invoices(app: &TestApp, filters: &[(&str, &str)]) -> Page<InvoiceSummary> {
    let mut form = vec![
        ("query[member]", ""),
        ("query[status]", ""),
        ("query[currency]", ""),
    ];
    for (key, value) in filters {
        form.retain(|(k, _)| k != key);
        form.push((key, value));
    }
    app.call("admin/invoices", &form).await.ok()
}

#[tokio::test]
async fn the_admin_invoice_list_filters_and_pages_by_keyset() {
    let (app, _emulator) = spawn_app_with_stripe().await;
    seed_invoices(&app, 25, "paid", "eur", "anna@example.com").await;
    seed_invoices(&app, 3, "open", "usd", "bert@example.com").await;

    // 28 in all: a full page, then the 3 left, no overlap.
    let first = admin_invoices(&app, &[]).await;
    assert_eq!(first.items.len(), 25);
    let next = first.next.clone().unwrap();
    let second = admin_invoices(&app, &[("query[after]", next.as_str())]).await;
    assert_eq!(second.items.len(), 3);
    assert!(second.next.is_none());
    assert!(second
        .items
        .iter()
        .all(|i| first.items.iter().all(|f| f.id != i.id)));
    // Exactly a page: no next link.
    let paid = admin_invoices(&app, &[("query[status]", "paid")]).await;
    assert_eq!(paid.items.len(), 25);
    assert!(paid.next.is_none());

    let usd = admin_invoices(&app, &[("query[currency]", "USD")]).await;
    assert_eq!(usd.items.len(), 3);
    let bert = admin_invoices(&app, &[("query[member]", "bert@")]).await;
    assert_eq!(bert.items.len(), 3);
    let by_customer = admin_invoices(&app, &[("query[member]", "cus_anna")]).await;
    assert_eq!(by_customer.items.len(), 25);
    let wildcard = admin_invoices(&app, &[("query[member]", "%")]).await;
    assert!(wildcard.items.is_empty(), "% is matched literally");
    let today = chrono::Utc::now().date_naive().to_string();
    let recent = admin_invoices(&app, &[("query[from]", today.as_str())]).await;
    assert_eq!(recent.items.len(), 2, "one of each seed was made today");

    for (field, value) in [
        ("query[status]", "bogus"),
        ("query[currency]", "euro"),
        ("query[after]", "garbage"),
    ] {
        let answer = app
            .call::<Value>(
                "admin/invoices",
                &[
                    ("query[member]", ""),
                    (
                        "query[status]",
                        if field == "query[status]" { value } else { "" },
                    ),
                    (
                        "query[currency]",
                        if field == "query[currency]" {
                            value
                        } else {
                            ""
                        },
                    ),
                    (
                        "query[after]",
                        if field == "query[after]" {
                            value
                        } else {
                            "0_x"
                        },
                    ),
                ],
            )
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{field}");
    }
}
