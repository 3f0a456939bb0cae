//! Invoices: the member's and the console's lists, and the PDF a download answers with.
//! Everything is read from what webhooks stored; Stripe is not asked at download time.

use crate::model::{
    AppError, Currency, CurrentUser, Cursor, InvoiceProfile, InvoiceQuery, InvoiceSummary, Money,
    Page, MAX_LOGO_BYTES, PAGE_SIZE, TAX_ID_TYPES,
};
use crate::server::db;
use crate::server::db::console::Search;
use crate::server::db::invoices::{After, InvoiceDocRow, ProfileRow, RefundRow, TaxRateRow};
use crate::server::error::OrInternal;
use crate::server::pdf::{self, InvoiceDocument, Party};
use crate::server::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

/// What a download answers: Paydesk's PDF, or Stripe's hosted invoice page when the settings
/// say to use Stripe's.
#[derive(Debug)]
pub enum Download {
    Pdf { filename: String, bytes: Vec<u8> },
    Redirect(String),
}

/// The member's invoices, newest first.
pub async fn member_page(
    state: &AppState,
    member: &CurrentUser,
    after: Option<&str>,
) -> Result<Page<InvoiceSummary>, AppError> {
    let mode = state.mode().await?;
    let cursor = after.map(Cursor::decode).transpose()?;
    let rows = db::invoices::member_page(
        &state.pool,
        &mode,
        member.id,
        &after_of(cursor.as_ref()),
        PAGE_SIZE + 1,
    )
    .await
    .or_internal("list member invoices")?;
    Ok(page_of(rows))
}

/// The customers a console list's member search names; `None` when there is no search.
pub(crate) async fn customers_named(
    state: &AppState,
    mode: &str,
    search: &str,
) -> Result<Option<Vec<String>>, AppError> {
    let search = search.trim();
    if search.is_empty() {
        return Ok(None);
    }
    db::console::customers_matching(&state.pool, mode, &Search::new(search), 1000)
        .await
        .or_internal("find customers")
        .map(Some)
}

/// A member's newest invoices, for the member page in the console.
pub async fn member_page_rows(
    state: &AppState,
    mode: &str,
    user_id: Uuid,
    limit: i64,
) -> Result<Vec<InvoiceSummary>, AppError> {
    let rows = db::invoices::member_page(&state.pool, mode, user_id, &after_of(None), limit)
        .await
        .or_internal("list member invoices")?;
    Ok(page_of(rows).items)
}

/// Every invoice in the current mode, filtered.
pub async fn admin_page(
    state: &AppState,
    query: &InvoiceQuery,
) -> Result<Page<InvoiceSummary>, AppError> {
    query.validate()?;
    let mode = state.mode().await?;
    let cursor = query.after.as_deref().map(Cursor::decode).transpose()?;
    let currency = query.currency.trim().to_ascii_lowercase();
    let customers = customers_named(state, &mode, &query.member).await?;
    let rows = db::invoices::admin_page(
        &state.pool,
        &mode,
        &db::invoices::AdminFilter {
            customers: customers.as_deref(),
            status: &query.status,
            currency: &currency,
            from: query.from,
            to: query.to,
        },
        &after_of(cursor.as_ref()),
        PAGE_SIZE + 1,
    )
    .await
    .or_internal("list invoices")?;
    Ok(page_of(rows))
}

pub(crate) fn after_of(cursor: Option<&Cursor>) -> After<'_> {
    match cursor {
        Some(c) => After {
            created: c.created,
            id: &c.id,
        },
        None => After::start(),
    }
}

/// Cuts the extra row a query fetched to learn whether another page follows.
pub(crate) fn paged<R, T>(
    mut rows: Vec<R>,
    key: impl Fn(&R) -> Cursor,
    show: impl Fn(R) -> T,
) -> Page<T> {
    let limit = usize::try_from(PAGE_SIZE).unwrap_or(25);
    let next = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|r| key(r).encode())
    } else {
        None
    };
    Page {
        items: rows.into_iter().map(show).collect(),
        next,
    }
}

fn page_of(rows: Vec<db::invoices::InvoiceRow>) -> Page<InvoiceSummary> {
    paged(
        rows,
        |r| Cursor {
            created: r.created,
            id: r.id.clone(),
        },
        |r| {
            let currency = currency_of(&r.currency);
            let money = |amount| Money::new(amount, currency.clone());
            InvoiceSummary {
                pdf_url: pdf_url(&r.id),
                period: r.period_start.zip(r.period_end),
                total: money(r.total),
                amount_paid: money(r.amount_paid),
                amount_refunded: money(r.amount_refunded),
                id: r.id,
                number: r.number,
                status: r.status,
                created: r.created,
                customer_email: r.customer_email,
                customer_name: r.customer_name,
            }
        },
    )
}

/// A currency Stripe sent. Stripe only sends ISO codes; anything else shows as XXX (ISO's
/// "no currency") rather than as some other currency.
pub(crate) fn currency_of(code: &str) -> Currency {
    Currency::parse(code)
        .or_else(|_| Currency::parse("xxx"))
        .expect("xxx is a three-letter code")
}

pub fn pdf_url(invoice_id: &str) -> String {
    format!("/billing/invoices/{invoice_id}/pdf")
}

pub async fn profile(state: &AppState) -> Result<InvoiceProfile, AppError> {
    let row = db::invoices::profile(&state.pool)
        .await
        .or_internal("load invoice profile")?;
    Ok(InvoiceProfile {
        name: row.name,
        email: row.email,
        address: row.address,
        tax_id: row.tax_id,
        has_logo: row.logo_png.is_some(),
        logo_png_base64: None,
        remove_logo: false,
    })
}

/// Saves the seller block; the audit row keeps what changed (the logo as present or not).
pub async fn save_profile(
    state: &AppState,
    admin: &CurrentUser,
    form: &InvoiceProfile,
) -> Result<InvoiceProfile, AppError> {
    use base64::Engine;
    form.validate()?;
    let logo = match form
        .logo_png_base64
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        Some(encoded) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_err(|_| AppError::validation("logo", "That logo could not be read."))?;
            if bytes.len() > MAX_LOGO_BYTES {
                return Err(AppError::validation("logo", "Use a logo under 40 KB."));
            }
            pdf::check_logo(&bytes).map_err(|_| {
                AppError::validation("logo", "The logo must be a PNG image up to 1000 px a side.")
            })?;
            Some(Some(bytes))
        }
        None if form.remove_logo => Some(None),
        None => None,
    };
    let before = profile(state).await?;
    let mut tx = state.pool.begin().await.or_internal("begin profile save")?;
    db::invoices::save_profile(
        &mut *tx,
        &ProfileRow {
            name: form.name.trim().to_owned(),
            email: form.email.trim().to_owned(),
            address: form.address.trim().to_owned(),
            tax_id: form.tax_id.trim().to_owned(),
            logo_png: logo.clone().flatten(),
        },
        logo.is_some(),
    )
    .await
    .or_internal("save invoice profile")?;
    let mut changes = serde_json::Map::new();
    let fields = [
        ("name", &before.name, form.name.trim()),
        ("email", &before.email, form.email.trim()),
        ("address", &before.address, form.address.trim()),
        ("tax_id", &before.tax_id, form.tax_id.trim()),
    ];
    for (field, old, new) in fields {
        if old != new {
            changes.insert(
                field.into(),
                serde_json::json!({ "before": old, "after": new }),
            );
        }
    }
    if let Some(new_logo) = &logo {
        changes.insert(
            "logo".into(),
            serde_json::json!({ "before": before.has_logo, "after": new_logo.is_some() }),
        );
    }
    db::audit::record(
        &mut *tx,
        &db::audit::Actor::from(admin),
        "settings.invoice_profile.updated",
        "invoice_profile",
        Value::Object(changes),
    )
    .await
    .or_internal("audit invoice profile")?;
    tx.commit().await.or_internal("commit invoice profile")?;
    profile(state).await
}

/// An invoice's download for `viewer`. A member gets only their own: any other id, known or
/// not, is `NotFound`, so a response never tells whether someone else's invoice exists.
pub async fn download(
    state: &AppState,
    viewer: &CurrentUser,
    invoice_id: &str,
) -> Result<Download, AppError> {
    let mode = state.mode().await?;
    let row = db::invoices::document(&state.pool, &mode, invoice_id)
        .await
        .or_internal("load invoice")?
        .ok_or(AppError::NotFound)?;
    let visible = viewer.is_admin() || (row.owner == Some(viewer.id) && row.status != "draft");
    if !visible {
        return Err(AppError::NotFound);
    }
    let settings = db::settings::load(&state.pool)
        .await
        .or_internal("load settings")?;
    if settings.use_stripe_invoice_pdf {
        if let Some(url) = &row.hosted_invoice_url {
            return Ok(Download::Redirect(url.clone()));
        }
    }
    let bytes = render(&state.pool, &mode, row.clone()).await?;
    Ok(Download::Pdf {
        filename: format!(
            "invoice-{}.pdf",
            file_safe(row.number.as_deref().unwrap_or(&row.id))
        ),
        bytes,
    })
}

/// Renders a stored invoice with what it refers to (tax rates, refunds, the seller).
pub async fn render(pool: &PgPool, mode: &str, row: InvoiceDocRow) -> Result<Vec<u8>, AppError> {
    let rate_ids: Vec<String> = row
        .tax_lines
        .iter()
        .filter_map(|t| t.tax_rate.clone())
        .collect();
    let rates = db::invoices::tax_rates(pool, mode, &rate_ids)
        .await
        .or_internal("load tax rates")?;
    let refunds = match &row.payment_intent {
        Some(payment) => db::invoices::refunds_of(pool, mode, payment)
            .await
            .or_internal("load refunds")?,
        None => Vec::new(),
    };
    let profile = db::invoices::profile(pool)
        .await
        .or_internal("load invoice profile")?;
    let document = document_of(row, &rates, &refunds, profile);
    // Rendering is CPU work of a few milliseconds; keep it off the request threads.
    tokio::task::spawn_blocking(move || pdf::render(&document))
        .await
        .or_internal("join PDF render")?
        .or_internal("render invoice PDF")
}

pub(crate) fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn date(at: DateTime<Utc>) -> NaiveDate {
    at.date_naive()
}

fn unix_date(seconds: Option<i64>) -> Option<NaiveDate> {
    seconds
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .map(date)
}

/// The invoice as the PDF shows it.
pub fn document_of(
    row: InvoiceDocRow,
    rates: &[TaxRateRow],
    refunds: &[RefundRow],
    profile: ProfileRow,
) -> InvoiceDocument {
    let seller = Party {
        name: if profile.name.trim().is_empty() {
            "Paydesk".to_owned()
        } else {
            profile.name
        },
        email: Some(profile.email).filter(|e| !e.trim().is_empty()),
        address: profile
            .address
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        tax_ids: Some(profile.tax_id.trim())
            .filter(|t| !t.is_empty())
            .map(|t| format!("Tax ID {t}"))
            .into_iter()
            .collect(),
    };
    let buyer = Party {
        name: row
            .customer_name
            .clone()
            .or(row.member_name.clone())
            .unwrap_or_default(),
        email: row.customer_email.clone().or(row.member_email.clone()),
        address: row
            .customer_address
            .as_ref()
            .map(address_lines)
            .unwrap_or_default(),
        tax_ids: row
            .customer_tax_ids
            .iter()
            .map(|t| format!("{} {}", tax_id_label(&t.type_), t.value))
            .collect(),
    };
    let lines = row
        .lines
        .iter()
        .map(|l| pdf::Line {
            description: l.description.clone(),
            period: unix_date(l.period_start).zip(unix_date(l.period_end)),
            quantity: l.quantity,
            unit_amount: l.unit_amount,
            amount: l.amount,
        })
        .collect();
    let taxes = row
        .tax_lines
        .iter()
        .map(|t| {
            let rate = t
                .tax_rate
                .as_deref()
                .and_then(|id| rates.iter().find(|r| r.id == id));
            pdf::TaxLine {
                name: rate.map_or_else(|| "Tax".to_owned(), |r| r.display_name.clone()),
                rate: rate.map_or_else(String::new, |r| format!("{}%", r.percentage)),
                jurisdiction: rate.and_then(|r| {
                    r.jurisdiction
                        .clone()
                        .or_else(|| r.state.clone())
                        .or_else(|| r.country.clone())
                }),
                inclusive: t.inclusive,
                amount: t.amount,
            }
        })
        .collect();
    InvoiceDocument {
        seller,
        buyer,
        number: row.number.clone().unwrap_or_else(|| row.id.clone()),
        issued: date(row.created),
        due: row.due_date.map(date),
        paid_on: if row.status == "paid" {
            Some(date(row.paid_at.unwrap_or(row.created)))
        } else {
            None
        },
        period: row.period_start.map(date).zip(row.period_end.map(date)),
        currency: currency_of(&row.currency),
        lines,
        subtotal: row.subtotal,
        discounts: row
            .discounts
            .iter()
            .map(|d| pdf::Discount {
                label: d.label.clone(),
                amount: d.amount,
            })
            .collect(),
        taxes,
        total: row.total,
        amount_paid: row.amount_paid,
        refunds: refunds
            .iter()
            .map(|r| pdf::Refund {
                date: date(r.created),
                amount: r.amount,
                reason: r
                    .reason
                    .as_deref()
                    .map(|reason| crate::model::refund_reason_label(reason).to_owned()),
            })
            .collect(),
        logo_png: profile.logo_png,
    }
}

fn tax_id_label(kind: &str) -> String {
    TAX_ID_TYPES
        .iter()
        .find(|(k, _, _)| *k == kind)
        .map_or_else(
            || kind.replace('_', " ").to_uppercase(),
            |(_, label, _)| (*label).to_owned(),
        )
}

/// A Stripe address as the lines of a letter.
fn address_lines(address: &Value) -> Vec<String> {
    let field = |key: &str| {
        address[key]
            .as_str()
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let city_line = [field("postal_code"), field("city"), field("state")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    [
        field("line1"),
        field("line2"),
        Some(city_line.as_str()),
        field("country"),
    ]
    .into_iter()
    .flatten()
    .filter(|l| !l.is_empty())
    .map(str::to_owned)
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_address_reads_as_letter_lines() {
        let lines = address_lines(&json!({
            "line1": "Unter den Linden 1", "line2": "", "postal_code": "10117",
            "city": "Berlin", "state": null, "country": "DE"
        }));
        assert_eq!(lines, vec!["Unter den Linden 1", "10117 Berlin", "DE"]);
        assert!(address_lines(&json!({})).is_empty());
    }

    #[test]
    fn file_names_keep_only_safe_characters() {
        assert_eq!(file_safe("ABC-0001"), "ABC-0001");
        assert_eq!(file_safe("../x y"), "___x_y");
    }
}
