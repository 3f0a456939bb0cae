//! The hosted customer portal at a portal session's `url`: cancel or resume at period end, switch
//! price, replace the card, edit the billing address, see invoices, and go back to `return_url`.
//! Every action goes through the same code as the API, so it emits the same events.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Form;
use serde_json::Value;

use super::{esc, page};
use crate::error::ApiError;
use crate::money::format_amount;
use crate::params::Params;
use crate::resources::{self, Ctx};
use crate::state::{CardBehavior, State as World};
use crate::Emulator;

pub async fn show(State(emulator): State<Emulator>, Path(session_id): Path<String>) -> Response {
    render(&emulator, &session_id, None)
}

pub async fn act(
    State(emulator): State<Emulator>,
    Path((session_id, action)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let base_url = emulator.base_url(host);
    let result = {
        let mut state = emulator.lock();
        let result = match state
            .portal_sessions
            .get(&session_id)
            .and_then(|s| s["customer"].as_str())
            .map(str::to_owned)
        {
            Some(customer) => {
                let mut ctx = Ctx {
                    state: &mut state,
                    base_url: &base_url,
                };
                perform(&mut ctx, &customer, &action, &form)
            }
            None => Err(ApiError::no_such(
                "billing_portal.session",
                &session_id,
                "session",
            )),
        };
        emulator.flush(&mut state);
        result
    };
    match result {
        Ok(()) => super::see_other(&format!("/p/session/{session_id}")),
        Err(error) => render(&emulator, &session_id, Some(&error)),
    }
}

fn form_params(pairs: &[(&str, &str)]) -> Result<Params, ApiError> {
    let encoded = serde_urlencoded::to_string(pairs)
        .map_err(|_| ApiError::invalid_request("Invalid form.", None))?;
    Params::parse(&encoded)
}

/// The subscription named in the form, if it is this customer's.
fn own_subscription(
    ctx: &Ctx<'_>,
    customer: &str,
    form: &HashMap<String, String>,
) -> Result<Value, ApiError> {
    let id = form
        .get("subscription")
        .map(String::as_str)
        .unwrap_or_default();
    ctx.state
        .subscriptions
        .get(id)
        .filter(|s| s["customer"].as_str() == Some(customer))
        .cloned()
        .ok_or_else(|| ApiError::no_such("subscription", id, "subscription"))
}

fn perform(
    ctx: &mut Ctx<'_>,
    customer: &str,
    action: &str,
    form: &HashMap<String, String>,
) -> Result<(), ApiError> {
    let field = |k: &str| form.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    match action {
        "cancel" | "resume" => {
            let sub = own_subscription(ctx, customer, form)?;
            let flag = if action == "cancel" { "true" } else { "false" };
            resources::subscriptions::update(
                ctx,
                sub["id"].as_str().unwrap_or_default(),
                &form_params(&[("cancel_at_period_end", flag)])?,
            )?;
        }
        "switch" => {
            let sub = own_subscription(ctx, customer, form)?;
            let item = sub["items"]["data"][0]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let price = field("price");
            let params = form_params(&[
                ("items[0][id]", &item),
                ("items[0][price]", &price),
                ("proration_behavior", "create_prorations"),
            ])?;
            resources::subscriptions::update(ctx, sub["id"].as_str().unwrap_or_default(), &params)?;
        }
        "card" => {
            let number = field("card_number");
            let behavior = CardBehavior::from_number(&number).ok_or_else(|| {
                ApiError::invalid_request("Your card number is invalid.", Some("card_number"))
            })?;
            if behavior == CardBehavior::Declined {
                return Err(ApiError::card_declined(
                    "generic_decline",
                    resources::payments::DECLINE_MESSAGE,
                ));
            }
            let (month, year) = field("card_expiry")
                .split_once('/')
                .map(|(m, y)| {
                    (
                        m.trim().parse().unwrap_or(12),
                        y.trim().parse().unwrap_or(34),
                    )
                })
                .unwrap_or((12, 34));
            let last4: String = number
                .chars()
                .filter(char::is_ascii_digit)
                .collect::<Vec<_>>()
                .iter()
                .rev()
                .take(4)
                .rev()
                .collect();
            let card = resources::payment_methods::Card {
                behavior,
                last4: &last4,
                exp_month: month,
                exp_year: if year < 100 { 2000 + year } else { year },
                billing_details: resources::payment_methods::empty_billing_details(),
            };
            let pm = resources::payment_methods::create_card(ctx.state, &card);
            let pm_id = pm["id"].as_str().unwrap_or_default().to_owned();
            resources::payment_methods::attach_to(ctx, &pm_id, customer)?;
            resources::customers::set_default_payment_method(ctx, customer, &pm_id)?;
            set_subscriptions_payment_method(ctx, customer, &pm_id)?;
        }
        "tax_id" => {
            let value = field("tax_id");
            let kind = resources::tax_ids::infer_type(&value).ok_or_else(|| {
                ApiError::invalid_request("The tax ID you entered is not valid.", Some("tax_id"))
            })?;
            resources::tax_ids::add(ctx.state, customer, kind, &value, "tax_id")?;
            tax_ids_changed(ctx, customer);
        }
        "remove_tax_id" => {
            resources::tax_ids::delete(ctx, customer, &field("id"))?;
            tax_ids_changed(ctx, customer);
        }
        "address" => {
            let params = form_params(&[
                ("address[line1]", &field("line1")),
                ("address[city]", &field("city")),
                ("address[postal_code]", &field("postal_code")),
                ("address[country]", &field("country").to_ascii_uppercase()),
            ])?;
            resources::customers::update(ctx, customer, &params)?;
        }
        _ => {
            return Err(ApiError::invalid_request(
                format!("Unknown portal action: {action}"),
                None,
            ))
        }
    }
    Ok(())
}

/// The portal's tax ID edits also announce the customer as updated, as Stripe's portal does.
fn tax_ids_changed(ctx: &mut Ctx<'_>, customer: &str) {
    if let Some(updated) = ctx.state.customers.get(customer).cloned() {
        crate::events::emit(
            ctx.state,
            "customer.updated",
            &updated,
            Some(serde_json::json!({})),
        );
    }
}

/// Stripe's portal makes a new card the default for the customer's subscriptions too.
fn set_subscriptions_payment_method(
    ctx: &mut Ctx<'_>,
    customer: &str,
    pm: &str,
) -> Result<(), ApiError> {
    let subs: Vec<String> = ctx
        .state
        .subscriptions
        .newest_first()
        .filter(|s| s["customer"].as_str() == Some(customer) && s["status"] != "canceled")
        .filter_map(|s| s["id"].as_str().map(str::to_owned))
        .collect();
    for sub in subs {
        resources::subscriptions::update(
            ctx,
            &sub,
            &form_params(&[("default_payment_method", pm)])?,
        )?;
    }
    Ok(())
}

fn render(emulator: &Emulator, session_id: &str, error: Option<&ApiError>) -> Response {
    let state = emulator.lock();
    let Some(session) = state.portal_sessions.get(session_id).cloned() else {
        return (
            StatusCode::NOT_FOUND,
            Html(page("Not found", "<h1>This portal link is not valid</h1>")),
        )
            .into_response();
    };
    let customer_id = session["customer"].as_str().unwrap_or_default();
    let Some(customer) = state.customers.get(customer_id).cloned() else {
        return (
            StatusCode::GONE,
            Html(page("Gone", "<h1>This customer no longer exists</h1>")),
        )
            .into_response();
    };
    let sid = esc(session_id);
    let mut body = format!(
        "<h1>Billing</h1><p>{} {}</p>",
        esc(customer["name"].as_str().unwrap_or_default()),
        esc(customer["email"].as_str().unwrap_or_default())
    );
    if let Some(error) = error {
        body.push_str(&format!(
            "<p class=\"error\" role=\"alert\" id=\"error\">{}</p>",
            esc(&error.message)
        ));
    }
    body.push_str("<h2>Subscriptions</h2>");
    for sub in state
        .subscriptions
        .newest_first()
        .filter(|s| s["customer"].as_str() == Some(customer_id) && s["status"] != "canceled")
    {
        body.push_str(&subscription_block(&state, sub, &sid));
    }
    body.push_str("<h2>Payment method</h2>");
    let default_pm = customer["invoice_settings"]["default_payment_method"]
        .as_str()
        .and_then(|pm| state.payment_methods.get(pm));
    if let Some(pm) = default_pm {
        body.push_str(&format!(
            "<p id=\"card\">{} ending in {}</p>",
            esc(pm["card"]["brand"].as_str().unwrap_or("card")),
            esc(pm["card"]["last4"].as_str().unwrap_or_default())
        ));
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"/p/session/{sid}/card\"><label>New card number<input name=\"card_number\" required></label>\
         <label>Expiry<input name=\"card_expiry\" placeholder=\"MM / YY\" required></label>\
         <button type=\"submit\" id=\"update-card\">Update card</button></form>"
    ));
    let address = &customer["address"];
    let value = |k: &str| esc(address[k].as_str().unwrap_or_default());
    body.push_str(&format!(
        "<h2>Billing address</h2><form method=\"post\" action=\"/p/session/{sid}/address\">\
         <label>Address<input name=\"line1\" value=\"{}\"></label><label>City<input name=\"city\" value=\"{}\"></label>\
         <label>Postal code<input name=\"postal_code\" value=\"{}\"></label><label>Country (ISO code)<input name=\"country\" maxlength=\"2\" value=\"{}\"></label>\
         <button type=\"submit\" id=\"update-address\">Save address</button></form>",
        value("line1"), value("city"), value("postal_code"), value("country"),
    ));
    body.push_str("<h2>Tax IDs</h2><ul id=\"tax-ids\">");
    for tax_id in resources::tax_ids::customer_list(&state, customer_id) {
        body.push_str(&format!(
            "<li>{} <form method=\"post\" action=\"/p/session/{sid}/remove_tax_id\"><input type=\"hidden\" name=\"id\" value=\"{}\">\
             <button type=\"submit\" class=\"secondary\">Remove</button></form></li>",
            esc(tax_id["value"].as_str().unwrap_or_default()),
            esc(tax_id["id"].as_str().unwrap_or_default()),
        ));
    }
    body.push_str(&format!(
        "</ul><form method=\"post\" action=\"/p/session/{sid}/tax_id\"><label>Tax ID<input name=\"tax_id\" placeholder=\"DE123456789\" required></label>\
         <button type=\"submit\" id=\"add-tax-id\">Add tax ID</button></form>"
    ));
    body.push_str("<h2>Invoices</h2><table>");
    for invoice in state
        .invoices
        .newest_first()
        .filter(|i| i["customer"].as_str() == Some(customer_id) && i["status"] != "draft")
    {
        body.push_str(&format!(
            "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td class=\"amount\">{}</td></tr>",
            esc(invoice["hosted_invoice_url"].as_str().unwrap_or_default()),
            esc(invoice["number"].as_str().unwrap_or_default()),
            esc(invoice["status"].as_str().unwrap_or_default()),
            esc(&format_amount(
                invoice["total"].as_i64().unwrap_or(0),
                invoice["currency"].as_str().unwrap_or("usd")
            )),
        ));
    }
    body.push_str("</table>");
    if let Some(url) = session["return_url"].as_str() {
        body.push_str(&format!(
            "<p><a href=\"{}\" id=\"return\">← Return</a></p>",
            esc(url)
        ));
    }
    drop(state);
    let status = error.map_or(StatusCode::OK, |e| e.status);
    (status, Html(page("Billing portal", &body))).into_response()
}

fn subscription_block(state: &World, sub: &Value, sid: &str) -> String {
    let item = &sub["items"]["data"][0];
    let price = &item["price"];
    let product = price["product"]
        .as_str()
        .and_then(|p| state.products.get(p))
        .and_then(|p| p["name"].as_str())
        .unwrap_or("Plan");
    let currency = price["currency"].as_str().unwrap_or("usd");
    let end = item["current_period_end"].as_i64().unwrap_or(0);
    let date = chrono::DateTime::from_timestamp(end, 0)
        .map(|d| d.format("%B %-d, %Y").to_string())
        .unwrap_or_default();
    let sub_id = esc(sub["id"].as_str().unwrap_or_default());
    let mut html = format!(
        "<section class=\"subscription\" data-id=\"{sub_id}\"><p><strong>{}</strong> {} / {} — <span class=\"status\">{}</span></p>",
        esc(product),
        esc(&format_amount(price["unit_amount"].as_i64().unwrap_or(0), currency)),
        esc(price["recurring"]["interval"].as_str().unwrap_or("month")),
        esc(sub["status"].as_str().unwrap_or_default()),
    );
    let (action, label, note) = if sub["cancel_at_period_end"] == true {
        ("resume", "Renew plan", format!("Cancels on {date}"))
    } else {
        ("cancel", "Cancel plan", format!("Renews on {date}"))
    };
    html.push_str(&format!(
        "<p>{}</p><form method=\"post\" action=\"/p/session/{sid}/{action}\"><input type=\"hidden\" name=\"subscription\" value=\"{sub_id}\">\
         <button type=\"submit\" id=\"{action}\">{label}</button></form>",
        esc(&note)
    ));
    let options: String = state
        .prices
        .newest_first()
        .filter(|p| {
            p["active"] == true
                && p["currency"] == price["currency"]
                && !p["recurring"].is_null()
                && p["id"] != price["id"]
        })
        .map(|p| {
            let name = p["product"]
                .as_str()
                .and_then(|id| state.products.get(id))
                .and_then(|x| x["name"].as_str())
                .unwrap_or("Plan");
            format!(
                "<option value=\"{}\">{} — {} / {}</option>",
                esc(p["id"].as_str().unwrap_or_default()),
                esc(name),
                esc(&format_amount(
                    p["unit_amount"].as_i64().unwrap_or(0),
                    currency
                )),
                esc(p["recurring"]["interval"].as_str().unwrap_or("month")),
            )
        })
        .collect();
    if !options.is_empty() {
        html.push_str(&format!(
            "<form method=\"post\" action=\"/p/session/{sid}/switch\"><input type=\"hidden\" name=\"subscription\" value=\"{sub_id}\">\
             <label>Switch plan<select name=\"price\">{options}</select></label><button type=\"submit\" id=\"switch\">Switch plan</button></form>"
        ));
    }
    html.push_str("</section>");
    html
}
