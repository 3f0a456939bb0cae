//! The hosted invoice page behind `hosted_invoice_url`.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::{esc, page};
use crate::money::format_amount;
use crate::Emulator;

pub async fn show(
    State(emulator): State<Emulator>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(invoice) = emulator.lock().invoices.get(&id).cloned() else {
        return (
            StatusCode::NOT_FOUND,
            Html(page("Not found", "<h1>Invoice not found</h1>")),
        )
            .into_response();
    };
    let currency = invoice["currency"].as_str().unwrap_or("usd");
    if query.get("format").map(String::as_str) == Some("pdf") {
        return pdf_response(&invoice, currency);
    }
    let amount = |key: &str| esc(&format_amount(invoice[key].as_i64().unwrap_or(0), currency));
    let mut body = format!(
        "<h1>Invoice {}</h1><p>Status: <strong id=\"status\">{}</strong></p><table>",
        esc(invoice["number"].as_str().unwrap_or("(draft)")),
        esc(invoice["status"].as_str().unwrap_or_default()),
    );
    for line in invoice["lines"]["data"].as_array().into_iter().flatten() {
        body.push_str(&format!(
            "<tr><td>{} × {}</td><td class=\"amount\">{}</td></tr>",
            esc(line["description"]
                .as_str()
                .or(line["pricing"]["price_details"]["price"].as_str())
                .unwrap_or("Item")),
            line["quantity"].as_i64().unwrap_or(1),
            esc(&format_amount(
                line["amount"].as_i64().unwrap_or(0),
                currency
            )),
        ));
    }
    let tax = invoice["total"].as_i64().unwrap_or(0)
        - invoice["total_excluding_tax"].as_i64().unwrap_or(0);
    body.push_str(&format!(
        "<tr><td>Subtotal</td><td class=\"amount\">{}</td></tr><tr><td>Tax</td><td class=\"amount\">{}</td></tr>\
         <tr class=\"total\"><td>Total</td><td class=\"amount\">{}</td></tr><tr><td>Amount paid</td><td class=\"amount\">{}</td></tr></table>",
        amount("subtotal"),
        esc(&format_amount(tax, currency)),
        amount("total"),
        amount("amount_paid"),
    ));
    Html(page("Invoice", &body)).into_response()
}

fn pdf_response(invoice: &serde_json::Value, currency: &str) -> Response {
    let money = |v: &serde_json::Value| format_amount(v.as_i64().unwrap_or(0), currency);
    let mut lines = vec![
        format!(
            "Invoice {}",
            invoice["number"].as_str().unwrap_or("(draft)")
        ),
        format!("Status: {}", invoice["status"].as_str().unwrap_or_default()),
        format!(
            "Billed to: {}",
            invoice["customer_email"].as_str().unwrap_or_default()
        ),
        String::new(),
    ];
    for line in invoice["lines"]["data"].as_array().into_iter().flatten() {
        lines.push(format!(
            "{}    {}",
            line["description"].as_str().unwrap_or("Item"),
            money(&line["amount"])
        ));
    }
    let tax = invoice["total"].as_i64().unwrap_or(0)
        - invoice["total_excluding_tax"].as_i64().unwrap_or(0);
    lines.push(String::new());
    lines.push(format!("Subtotal: {}", money(&invoice["subtotal"])));
    lines.push(format!("Tax: {}", format_amount(tax, currency)));
    lines.push(format!("Total: {}", money(&invoice["total"])));
    lines.push(format!("Amount paid: {}", money(&invoice["amount_paid"])));
    let filename = format!(
        "attachment; filename=\"{}.pdf\"",
        invoice["number"].as_str().unwrap_or("invoice")
    );
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, filename),
        ],
        super::pdf::text_pdf(&lines),
    )
        .into_response()
}
