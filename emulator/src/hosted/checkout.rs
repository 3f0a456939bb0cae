//! The hosted Checkout page at a session's `url`.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Form;
use serde_json::{json, Value};

use super::{esc, page};
use crate::billing::discounts;
use crate::money::format_amount;
use crate::resources::checkout::{apply_discount, complete, expire_if_due, Outcome, PaymentForm};
use crate::resources::promotion_codes;
use crate::Emulator;

const AUTH_FAILED: &str =
    "We are unable to authenticate your payment method. Please choose a different payment method and try again.";

pub async fn show(State(emulator): State<Emulator>, Path(session_id): Path<String>) -> Response {
    render(
        &emulator,
        &session_id,
        None,
        &HashMap::new(),
        StatusCode::OK,
    )
}

pub async fn pay(
    State(emulator): State<Emulator>,
    Path(session_id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    submit(&emulator, &session_id, &headers, &form, false)
}

pub async fn authenticate(
    State(emulator): State<Emulator>,
    Path(session_id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if form.get("action").map(String::as_str) != Some("complete") {
        return render(
            &emulator,
            &session_id,
            Some(AUTH_FAILED),
            &form,
            StatusCode::PAYMENT_REQUIRED,
        );
    }
    submit(&emulator, &session_id, &headers, &form, true)
}

fn submit(
    emulator: &Emulator,
    session_id: &str,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
    authenticated: bool,
) -> Response {
    if let Err(message) = apply_promotion_code(emulator, session_id, form) {
        return render(
            emulator,
            session_id,
            Some(&message),
            form,
            StatusCode::BAD_REQUEST,
        );
    }
    if form.contains_key("apply") {
        return render(emulator, session_id, None, form, StatusCode::OK);
    }
    let payment = match read_form(form) {
        Ok(p) => p,
        Err(message) => {
            return render(
                emulator,
                session_id,
                Some(message),
                form,
                StatusCode::BAD_REQUEST,
            )
        }
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let base_url = emulator.base_url(host);
    let outcome = {
        let mut state = emulator.lock();
        let outcome = complete(&mut state, session_id, &payment, authenticated, &base_url);
        emulator.flush(&mut state);
        outcome
    };
    match outcome {
        Ok(Outcome::Completed(Some(url))) => super::see_other(&url),
        Ok(Outcome::Completed(None)) => Html(page(
            "Payment complete",
            "<h1>Thanks for your order</h1><p>Your payment is complete.</p>",
        ))
        .into_response(),
        Ok(Outcome::Declined(message)) => render(
            emulator,
            session_id,
            Some(message),
            form,
            StatusCode::PAYMENT_REQUIRED,
        ),
        Ok(Outcome::NeedsAuthentication) => authentication_page(session_id, form),
        Ok(Outcome::Invalid(message)) => render(
            emulator,
            session_id,
            Some(&message),
            form,
            StatusCode::BAD_REQUEST,
        ),
        Err(error) => render(
            emulator,
            session_id,
            Some(&error.message),
            form,
            error.status,
        ),
    }
}

/// A code typed into the promotion-code field (when the session allows codes) is checked and
/// applied before anything else, so the buyer sees the discounted total or why the code failed.
fn apply_promotion_code(
    emulator: &Emulator,
    session_id: &str,
    form: &HashMap<String, String>,
) -> Result<(), String> {
    let Some(code) = form
        .get("promotion_code")
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
    else {
        return Ok(());
    };
    let mut state = emulator.lock();
    let allowed = state
        .checkout_sessions
        .get(session_id)
        .is_some_and(|s| s["allow_promotion_codes"] == true && s["status"] == "open");
    if !allowed {
        return Ok(());
    }
    let promo = promotion_codes::check_code(&state, code)?;
    let promo_id = promo["id"].as_str().unwrap_or_default();
    let applied =
        discounts::resolve_promotion(&state, promo_id, "promotion_code").map_err(|e| e.message)?;
    apply_discount(&mut state, session_id, &applied);
    Ok(())
}

fn read_form(form: &HashMap<String, String>) -> Result<PaymentForm, &'static str> {
    let field = |k: &str| {
        form.get(k)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let card_number = field("card_number").ok_or("Your card number is incomplete.")?;
    let expiry = field("card_expiry").ok_or("Your card's expiration date is incomplete.")?;
    let (month, year) = expiry
        .split_once('/')
        .ok_or("Your card's expiration date is incomplete.")?;
    let exp_month: i64 = month
        .trim()
        .parse()
        .map_err(|_| "Your card's expiration date is invalid.")?;
    let exp_year: i64 = year
        .trim()
        .parse()
        .map_err(|_| "Your card's expiration date is invalid.")?;
    let exp_year = if exp_year < 100 {
        2000 + exp_year
    } else {
        exp_year
    };
    if !(1..=12).contains(&exp_month) || exp_year < 2000 {
        return Err("Your card's expiration date is invalid.");
    }
    if field("card_cvc").is_none() {
        return Err("Your card's security code is incomplete.");
    }
    let text = |k: &str| field(k).map_or(Value::Null, |v| json!(v));
    let address = json!({
        "city": text("city"),
        "country": field("country").map_or(Value::Null, |c| json!(c.to_ascii_uppercase())),
        "line1": text("line1"),
        "line2": text("line2"),
        "postal_code": text("postal_code"),
        "state": text("state"),
    });
    Ok(PaymentForm {
        card_number,
        exp_month,
        exp_year,
        name: field("name"),
        email: field("email"),
        address,
        tax_id: field("tax_id"),
    })
}

fn render(
    emulator: &Emulator,
    session_id: &str,
    error: Option<&str>,
    form: &HashMap<String, String>,
    status: StatusCode,
) -> Response {
    let mut state = emulator.lock();
    expire_if_due(&mut state, session_id);
    emulator.flush(&mut state);
    let Some(session) = state.checkout_sessions.get(session_id).cloned() else {
        return (StatusCode::NOT_FOUND, Html(page("Not found", "<h1>Something went wrong</h1><p>The page you were looking for could not be found.</p>"))).into_response();
    };
    let items = state
        .session_line_items
        .get(session_id)
        .and_then(|l| l["data"].as_array())
        .cloned()
        .unwrap_or_default();
    let trial_days = state.subscription_trials.get(session_id).copied();
    drop(state);
    match session["status"].as_str() {
        Some("complete") => return Html(page("Already paid", "<h1>This Checkout Session is already complete</h1><p>Your payment has been received.</p>")).into_response(),
        Some("expired") => return (StatusCode::GONE, Html(page("Expired", "<h1>This Checkout Session has expired</h1><p>Return to the merchant to start again.</p>"))).into_response(),
        _ => {}
    }
    let currency = session["currency"].as_str().unwrap_or("usd").to_owned();
    let mut body = String::from("<h1>Checkout</h1><table>");
    for item in &items {
        let interval = item["price"]["recurring"]["interval"].as_str();
        let count = item["price"]["recurring"]["interval_count"]
            .as_i64()
            .unwrap_or(1);
        let per = match interval {
            Some(i) if count == 1 => format!(" per {i}"),
            Some(i) => format!(" every {count} {i}s"),
            None => String::new(),
        };
        body.push_str(&format!(
            "<tr class=\"line\"><td>{} × {}{}</td><td class=\"amount\">{}</td></tr>",
            esc(item["description"].as_str().unwrap_or("Item")),
            item["quantity"].as_i64().unwrap_or(1),
            esc(&per),
            esc(&format_amount(
                item["amount_subtotal"].as_i64().unwrap_or(0),
                &currency
            )),
        ));
    }
    let subtotal = session["amount_subtotal"].as_i64().unwrap_or(0);
    let tax = session["total_details"]["amount_tax"].as_i64().unwrap_or(0);
    let total = session["amount_total"].as_i64().unwrap_or(0);
    let mode = session["mode"].as_str().unwrap_or("payment");
    if mode != "setup" {
        body.push_str(&format!(
            "<tr><td>Subtotal</td><td class=\"amount\">{}</td></tr>",
            esc(&format_amount(subtotal, &currency))
        ));
        let discount = session["total_details"]["amount_discount"]
            .as_i64()
            .unwrap_or(0);
        if discount > 0 {
            let code = session["discounts"][0]["promotion_code"]
                .as_str()
                .and_then(|id| state_code(emulator, id))
                .unwrap_or_else(|| "Discount".to_owned());
            body.push_str(&format!(
                "<tr class=\"discount\"><td>{}</td><td class=\"amount\" id=\"discount\">-{}</td></tr>",
                esc(&code),
                esc(&format_amount(discount, &currency))
            ));
        }
        body.push_str(&super::tax_lines::manual_tax_rows(&items, &currency));
        let tax_pending = session["automatic_tax"]["enabled"] == true
            && session["automatic_tax"]["status"] != "complete";
        if session["automatic_tax"]["enabled"] == true {
            let tax_text = if !tax_pending {
                format_amount(tax, &currency)
            } else {
                "Calculated from your billing address".to_owned()
            };
            body.push_str(&format!(
                "<tr class=\"tax\"><td>Tax</td><td class=\"amount\">{}</td></tr>",
                esc(&tax_text)
            ));
        }
        if let Some(days) = trial_days {
            body.push_str(&format!(
                "<tr class=\"trial\"><td>Free trial</td><td class=\"amount\">{days} days</td></tr>"
            ));
        }
        // Until an address gives the tax, the total shown cannot be what will be charged.
        let total_label = if tax_pending {
            "Total before tax"
        } else {
            "Total due today"
        };
        body.push_str(&format!(
            "<tr class=\"total\"><td>{total_label}</td><td class=\"amount\" id=\"total\">{}</td></tr>",
            esc(&format_amount(total, &currency))
        ));
    }
    body.push_str("</table>");
    if let Some(error) = error {
        body.push_str(&format!(
            "<p class=\"error\" role=\"alert\" id=\"error\">{}</p>",
            esc(error)
        ));
    }
    let value = |k: &str| esc(form.get(k).map(String::as_str).unwrap_or_default());
    body.push_str(&format!(
        "<form method=\"post\" action=\"/c/pay/{}\">",
        esc(session_id)
    ));
    if session["customer"].is_null() && session["customer_email"].is_null() {
        body.push_str(&format!(
            "<label>Email<input name=\"email\" type=\"email\" required value=\"{}\"></label>",
            value("email")
        ));
    } else if let Some(email) = session["customer_email"].as_str() {
        body.push_str(&format!("<p>Email: {}</p>", esc(email)));
    }
    body.push_str(&format!(
        "<label>Card number<input name=\"card_number\" inputmode=\"numeric\" autocomplete=\"cc-number\" placeholder=\"4242 4242 4242 4242\" required value=\"{}\"></label>\
         <div class=\"row\"><label>Expiry<input name=\"card_expiry\" placeholder=\"MM / YY\" required value=\"{}\"></label>\
         <label>CVC<input name=\"card_cvc\" placeholder=\"123\" required value=\"{}\"></label></div>\
         <label>Name on card<input name=\"name\" autocomplete=\"cc-name\" value=\"{}\"></label>\
         <fieldset><legend>Billing address</legend>\
         <label>Address<input name=\"line1\" autocomplete=\"address-line1\" value=\"{}\"></label>\
         <label>City<input name=\"city\" autocomplete=\"address-level2\" value=\"{}\"></label>\
         <div class=\"row\"><label>Postal code<input name=\"postal_code\" autocomplete=\"postal-code\" value=\"{}\"></label>\
         <label>Country (ISO code)<input name=\"country\" autocomplete=\"country\" maxlength=\"2\" placeholder=\"US\" value=\"{}\"></label></div>\
         </fieldset>",
        value("card_number"), value("card_expiry"), value("card_cvc"), value("name"), value("line1"), value("city"), value("postal_code"), value("country"),
    ));
    if session["tax_id_collection"]["enabled"] == true {
        body.push_str(&format!(
            "<label>Tax ID (optional)<input name=\"tax_id\" value=\"{}\"></label>",
            value("tax_id")
        ));
    }
    if session["allow_promotion_codes"] == true {
        body.push_str(&format!(
            "<div class=\"row\"><label>Promotion code<input name=\"promotion_code\" id=\"promotion-code\" value=\"{}\"></label>\
             <button type=\"submit\" name=\"apply\" value=\"1\" formnovalidate class=\"secondary\" id=\"apply-code\">Apply</button></div>",
            value("promotion_code")
        ));
    }
    let label = match mode {
        "subscription" => "Subscribe",
        "setup" => "Save card",
        _ => "Pay",
    };
    body.push_str(&format!(
        "<button type=\"submit\" id=\"submit\">{label}</button></form>"
    ));
    if let Some(cancel) = session["cancel_url"].as_str() {
        body.push_str(&format!(
            "<p><a href=\"{}\" id=\"cancel\">← Back</a></p>",
            esc(cancel)
        ));
    }
    (status, Html(page("Checkout", &body))).into_response()
}

fn state_code(emulator: &Emulator, promo_id: &str) -> Option<String> {
    let state = emulator.lock();
    state
        .promotion_codes
        .get(promo_id)
        .and_then(|p| p["code"].as_str())
        .map(str::to_owned)
}

/// Stands in for the 3-D Secure challenge: the form data rides along in hidden fields.
fn authentication_page(session_id: &str, form: &HashMap<String, String>) -> Response {
    let hidden: String = form
        .iter()
        .filter(|(k, _)| k.as_str() != "action")
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                esc(k),
                esc(v)
            )
        })
        .collect();
    let body = format!(
        "<h1>Authenticate this payment</h1><p>Your bank asks you to confirm this payment (3D Secure test).</p>\
         <form method=\"post\" action=\"/c/pay/{id}/authenticate\">{hidden}\
         <button type=\"submit\" name=\"action\" value=\"complete\" id=\"authenticate\">Complete authentication</button>\
         <button type=\"submit\" name=\"action\" value=\"fail\" class=\"secondary\" id=\"fail-authentication\">Fail authentication</button></form>",
        id = esc(session_id)
    );
    Html(page("Authenticate", &body)).into_response()
}
