//! Where everything goes on the page.
//!
//! Page one: seller (under the logo) top-left, the title and invoice facts top-right, the buyer
//! below with the status marks beside it, then the line table and the totals. Rows that do not
//! fit continue on a new page under a repeated table header; the totals move as a block. Every
//! page gets a footer with the invoice number and "Page n of m".

use super::canvas::{Canvas, Colour, Style, PAGE_HEIGHT, PAGE_WIDTH};
use super::fonts::Weight::{Bold, Regular};
use super::{money, InvoiceDocument, Party};
use chrono::{Datelike, NaiveDate};
use printpdf::XObjectId;

const LEFT: f32 = 50.0;
const RIGHT: f32 = PAGE_WIDTH - 50.0;
const TOP: f32 = PAGE_HEIGHT - 50.0;
/// Content stops here; the footer sits below.
const BOTTOM: f32 = 62.0;
const FOOTER_BASELINE: f32 = 34.0;

const INK: Colour = (26, 31, 54);
const MUTED: Colour = (105, 115, 134);
const HAIRLINE: Colour = (227, 232, 238);
const GREEN: (Colour, Colour) = ((14, 98, 69), (222, 246, 228));
const AMBER: (Colour, Colour) = ((150, 64, 0), (253, 240, 205));
const RED: (Colour, Colour) = ((164, 28, 48), (253, 226, 226));

const TITLE: Style = Style::new(Bold, 24.0, INK);
const SELLER_NAME: Style = Style::new(Bold, 12.0, INK);
const NAME: Style = Style::new(Bold, 10.0, INK);
const BODY: Style = Style::new(Regular, 9.0, INK);
const LABEL: Style = Style::new(Regular, 9.0, MUTED);
const CAPTION: Style = Style::new(Bold, 8.0, MUTED);
const CELL: Style = Style::new(Regular, 9.5, INK);
const CELL_NOTE: Style = Style::new(Regular, 8.0, MUTED);
const TOTAL: Style = Style::new(Bold, 10.5, INK);
const HEADLINE: Style = Style::new(Bold, 15.0, INK);
const FOOTER: Style = Style::new(Regular, 7.5, MUTED);

/// The biggest box a logo is scaled into, in points.
const LOGO_BOX: (f32, f32) = (160.0, 56.0);
/// Width of the seller and buyer blocks.
const PARTY_WIDTH: f32 = 250.0;
/// Where the labels of the invoice facts (top right) and of the totals start.
const FACTS_X: f32 = RIGHT - 215.0;
const TOTALS_X: f32 = RIGHT - 270.0;

/// A line's height for text of `size` points: the baseline sits `size` below the top.
fn leading(style: Style) -> f32 {
    style.size * 1.4
}

pub(super) fn draw(
    canvas: &mut Canvas,
    doc: &InvoiceDocument,
    logo: Option<(&XObjectId, (usize, usize))>,
) {
    let mut y = header(canvas, doc, logo);
    y = buyer_and_status(canvas, doc, y - 30.0);
    y = line_table(canvas, doc, y - 26.0);
    totals(canvas, doc, y - 14.0);
    footers(canvas, doc);
}

/// Logo and seller on the left, title and invoice facts on the right; returns the lower of the
/// two bottoms.
fn header(
    canvas: &mut Canvas,
    doc: &InvoiceDocument,
    logo: Option<(&XObjectId, (usize, usize))>,
) -> f32 {
    let mut left = TOP;
    if let Some((id, (px_w, px_h))) = logo {
        let scale = (LOGO_BOX.0 / px_w.max(1) as f32).min(LOGO_BOX.1 / px_h.max(1) as f32);
        let (w, h) = (px_w as f32 * scale, px_h as f32 * scale);
        canvas.image(id, (px_w, px_h), (LEFT, left - h, w, h));
        left -= h + 16.0;
    }
    left = party(canvas, &doc.seller, SELLER_NAME, left);

    let mut right = TOP;
    right -= TITLE.size;
    canvas.text_right(RIGHT, right, "Invoice", TITLE);
    right -= 18.0;
    let mut facts = vec![
        ("Invoice number", doc.number.clone()),
        ("Date of issue", long_date(doc.issued)),
    ];
    if let Some(due) = doc.due {
        facts.push(("Date due", long_date(due)));
    }
    if let Some((start, end)) = doc.period {
        facts.push(("Billing period", period(start, end)));
    }
    for (label, value) in facts {
        right = label_value(canvas, FACTS_X, right, (label, LABEL), (&value, BODY));
    }
    left.min(right)
}

/// Name, address lines, tax IDs and email, from `top` down; returns the new top.
fn party(canvas: &mut Canvas, party: &Party, name_style: Style, top: f32) -> f32 {
    let mut y = top;
    if !party.name.trim().is_empty() {
        y = paragraph(canvas, LEFT, y, &party.name, name_style, PARTY_WIDTH);
        y -= 2.0;
    }
    for line in party.address.iter().chain(&party.tax_ids) {
        y = paragraph(canvas, LEFT, y, line, BODY, PARTY_WIDTH);
    }
    if let Some(email) = &party.email {
        y = paragraph(canvas, LEFT, y, email, BODY, PARTY_WIDTH);
    }
    y
}

/// `text` wrapped to `width` from `top` down; returns the new top.
fn paragraph(canvas: &mut Canvas, x: f32, top: f32, text: &str, style: Style, width: f32) -> f32 {
    let mut y = top;
    for line in canvas.wrap(text, style, width) {
        canvas.text(x, y - style.size, &line, style);
        y -= leading(style);
    }
    y
}

/// A label at `x` with its value right-aligned at the right margin (on the next line when the
/// two would touch, wrapped when the value is wider than the column); returns the new top.
fn label_value(
    canvas: &mut Canvas,
    x: f32,
    top: f32,
    (label, label_style): (&str, Style),
    (value, value_style): (&str, Style),
) -> f32 {
    let mut y = top - value_style.size;
    canvas.text(x, y, label, label_style);
    let label_end = x + canvas.width(label, label_style);
    let lines = canvas.wrap(value, value_style, RIGHT - x);
    let first_width = lines.first().map_or(0.0, |l| canvas.width(l, value_style));
    if lines.len() > 1 || RIGHT - first_width < label_end + 10.0 {
        y -= leading(value_style);
    }
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            y -= leading(value_style);
        }
        canvas.text_right(RIGHT, y, line, value_style);
    }
    y - value_style.size * 0.4 - 4.0
}

/// "Bill to" with the buyer, the PAID / REFUNDED marks beside it, and the amount due under it
/// when something is still due; returns the new top.
fn buyer_and_status(canvas: &mut Canvas, doc: &InvoiceDocument, top: f32) -> f32 {
    canvas.text(LEFT, top - CAPTION.size, "BILL TO", CAPTION);
    let mut left = party(canvas, &doc.buyer, NAME, top - CAPTION.size - 8.0);

    let mut stamps = Vec::new();
    if let Some(paid_on) = doc.paid_on {
        stamps.push(("PAID", long_date(paid_on), GREEN));
    }
    let refunded = refunded(doc);
    if refunded > 0 {
        let note = format!("{} refunded", money(refunded, &doc.currency));
        if refunded >= doc.amount_paid {
            stamps.push(("REFUNDED", note, RED));
        } else {
            stamps.push(("PARTIALLY REFUNDED", note, AMBER));
        }
    }
    // One width for all, so stacked marks line up.
    let inner = stamps
        .iter()
        .map(|(word, note, _)| {
            canvas
                .width(word, STAMP_WORD)
                .max(canvas.width(note, STAMP_NOTE))
        })
        .fold(0.0, f32::max);
    let mut right = top;
    for (word, note, colours) in &stamps {
        right = stamp(canvas, right, inner, (word, note), *colours) - 8.0;
    }

    let due = amount_due(doc);
    if doc.paid_on.is_none() && due > 0 {
        left -= 14.0;
        let amount = money(due, &doc.currency);
        let headline = match doc.due {
            Some(date) => format!("{amount} due {}", long_date(date)),
            None => format!("{amount} due"),
        };
        left = paragraph(canvas, LEFT, left, &headline, HEADLINE, RIGHT - LEFT);
    }
    left.min(right)
}

const STAMP_WORD: Style = Style::new(Bold, 13.0, INK);
const STAMP_NOTE: Style = Style::new(Regular, 8.5, INK);

/// A rounded mark at the right margin, `inner` wide inside its padding: `word` in bold over
/// `note`, both centred; returns its bottom.
fn stamp(
    canvas: &mut Canvas,
    top: f32,
    inner: f32,
    (word, note): (&str, &str),
    (ink, paper): (Colour, Colour),
) -> f32 {
    let word_style = Style {
        colour: ink,
        ..STAMP_WORD
    };
    let note_style = Style {
        colour: ink,
        ..STAMP_NOTE
    };
    let (pad_x, pad_y) = (12.0, 8.0);
    let (w, h) = (inner + 2.0 * pad_x, 2.0 * pad_y + 26.0);
    let (x, y) = (RIGHT - w, top - h);
    canvas.rounded_box((x, y, w, h), 5.0, Some(paper), Some((ink, 1.2)));
    let centre = x + w / 2.0;
    let word_baseline = top - pad_y - 11.0;
    let word_x = centre - canvas.width(word, word_style) / 2.0;
    canvas.text(word_x, word_baseline, word, word_style);
    let note_x = centre - canvas.width(note, note_style) / 2.0;
    canvas.text(note_x, word_baseline - 13.5, note, note_style);
    y
}

/// Right edges of the Qty, Unit price and Amount columns and the description's width, from the
/// widest text in each column.
struct Columns {
    qty: f32,
    unit: f32,
    amount: f32,
    description: f32,
}

const HEADER_STYLE: Style = CAPTION;

impl Columns {
    fn measure(canvas: &Canvas, doc: &InvoiceDocument) -> Self {
        let widest = |header: &str, cells: &mut dyn Iterator<Item = String>, min: f32| {
            cells
                .map(|c| canvas.width(&c, CELL))
                .fold(canvas.width(header, HEADER_STYLE).max(min), f32::max)
        };
        let currency = &doc.currency;
        let amount_w = widest(
            "AMOUNT",
            &mut doc.lines.iter().map(|l| money(l.amount, currency)),
            62.0,
        );
        let unit_w = widest(
            "UNIT PRICE",
            &mut doc
                .lines
                .iter()
                .filter_map(|l| l.unit_amount.map(|a| money(a, currency))),
            62.0,
        );
        let qty_w = widest(
            "QTY",
            &mut doc.lines.iter().map(|l| l.quantity.to_string()),
            20.0,
        );
        let gap = 20.0;
        let amount = RIGHT;
        let unit = amount - amount_w - gap;
        let qty = unit - unit_w - gap;
        let description = (qty - qty_w - gap - LEFT).max(120.0);
        Self {
            qty,
            unit,
            amount,
            description,
        }
    }

    /// The header row with a rule under it; returns the new top.
    fn header(&self, canvas: &mut Canvas, top: f32) -> f32 {
        let y = top - HEADER_STYLE.size;
        canvas.text(LEFT, y, "DESCRIPTION", HEADER_STYLE);
        canvas.text_right(self.qty, y, "QTY", HEADER_STYLE);
        canvas.text_right(self.unit, y, "UNIT PRICE", HEADER_STYLE);
        canvas.text_right(self.amount, y, "AMOUNT", HEADER_STYLE);
        let rule = y - 7.0;
        canvas.rule(LEFT, RIGHT, rule, 0.8, MUTED);
        rule
    }
}

const ROW_PAD: f32 = 7.0;

/// The line table, continued on new pages as needed; returns the top left under it.
fn line_table(canvas: &mut Canvas, doc: &InvoiceDocument, top: f32) -> f32 {
    let columns = Columns::measure(canvas, doc);
    let rows: Vec<(Vec<String>, Option<String>)> = doc
        .lines
        .iter()
        .map(|line| {
            let description = canvas.wrap(&line.description, CELL, columns.description);
            let period = line.period.map(|(start, end)| period(start, end));
            (description, period)
        })
        .collect();
    // From the row's top: padding, the description's lines, the period under them, the last
    // line's descent, padding.
    let row_height = |(description, period): &(Vec<String>, Option<String>)| {
        let lines = description.len().max(1) as f32;
        let (note, descent) = match period {
            Some(_) => (leading(CELL_NOTE), CELL_NOTE.size * 0.25),
            None => (0.0, CELL.size * 0.25),
        };
        2.0 * ROW_PAD + CELL.size + (lines - 1.0) * leading(CELL) + note + descent
    };

    let header_height = HEADER_STYLE.size + 7.0;
    let first = rows.first().map_or(0.0, row_height);
    let mut y = top;
    if y - header_height - first < BOTTOM {
        canvas.new_page();
        y = TOP;
    }
    y = columns.header(canvas, y);

    for (row, line) in rows.iter().zip(&doc.lines) {
        let height = row_height(row);
        if y - height < BOTTOM {
            canvas.new_page();
            y = columns.header(canvas, TOP);
        }
        let (description, period) = row;
        let first_baseline = y - ROW_PAD - CELL.size;
        let mut baseline = first_baseline;
        for (i, text) in description.iter().enumerate() {
            if i > 0 {
                baseline -= leading(CELL);
            }
            canvas.text(LEFT, baseline, text, CELL);
        }
        if let Some(period) = period {
            canvas.text(LEFT, baseline - leading(CELL_NOTE), period, CELL_NOTE);
        }
        canvas.text_right(
            columns.qty,
            first_baseline,
            &line.quantity.to_string(),
            CELL,
        );
        if let Some(unit) = line.unit_amount {
            let unit = money(unit, &doc.currency);
            canvas.text_right(columns.unit, first_baseline, &unit, CELL);
        }
        let amount = money(line.amount, &doc.currency);
        canvas.text_right(columns.amount, first_baseline, &amount, CELL);
        y -= height;
        canvas.rule(LEFT, RIGHT, y, 0.6, HAIRLINE);
    }
    y
}

/// One row of the totals block.
enum Row {
    Amount {
        label: String,
        /// A smaller second line under the label (a refund's reason).
        note: Option<String>,
        amount: i64,
        strong: bool,
    },
    Rule,
}

fn amount_row(label: impl Into<String>, amount: i64) -> Row {
    Row::Amount {
        label: label.into(),
        note: None,
        amount,
        strong: false,
    }
}

fn strong_row(label: impl Into<String>, amount: i64) -> Row {
    Row::Amount {
        label: label.into(),
        note: None,
        amount,
        strong: true,
    }
}

fn total_rows(doc: &InvoiceDocument) -> Vec<Row> {
    let mut rows = vec![amount_row("Subtotal", doc.subtotal)];
    for discount in &doc.discounts {
        let label = if discount.label.trim().is_empty() {
            "Discount".to_owned()
        } else {
            format!("Discount ({})", discount.label)
        };
        rows.push(amount_row(label, discount.amount.saturating_neg()));
    }
    for tax in &doc.taxes {
        let mut label = [tax.name.trim(), tax.rate.trim()]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if label.is_empty() {
            label = "Tax".to_owned();
        }
        if let Some(jurisdiction) = tax.jurisdiction.as_deref().map(str::trim) {
            if !jurisdiction.is_empty() {
                label = format!("{label} ({jurisdiction})");
            }
        }
        if tax.inclusive {
            label = format!("Incl. {label}");
        }
        rows.push(amount_row(label, tax.amount));
    }
    rows.push(Row::Rule);
    rows.push(strong_row("Total", doc.total));
    rows.push(amount_row("Amount paid", doc.amount_paid));
    let due = amount_due(doc);
    if doc.paid_on.is_none() && due > 0 {
        rows.push(strong_row("Amount due", due));
    }
    if !doc.refunds.is_empty() {
        rows.push(Row::Rule);
        for refund in &doc.refunds {
            rows.push(Row::Amount {
                label: format!("Refund {}", short_date(refund.date)),
                note: refund
                    .reason
                    .as_deref()
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(str::to_owned),
                amount: refund.amount.saturating_neg(),
                strong: false,
            });
        }
        let refunded = refunded(doc);
        if doc.refunds.len() > 1 {
            rows.push(amount_row("Amount refunded", refunded.saturating_neg()));
        }
        rows.push(strong_row(
            "Net paid",
            doc.amount_paid.saturating_sub(refunded),
        ));
    }
    rows
}

/// The totals block, right-aligned under the table; moved to a new page as a whole when it does
/// not fit.
fn totals(canvas: &mut Canvas, doc: &InvoiceDocument, top: f32) {
    let rows = total_rows(doc);
    let amount_width = rows
        .iter()
        .filter_map(|row| match row {
            Row::Amount { amount, .. } => Some(canvas.width(&money(*amount, &doc.currency), TOTAL)),
            Row::Rule => None,
        })
        .fold(0.0, f32::max);
    let label_width = RIGHT - TOTALS_X - amount_width - 16.0;
    // Each row as its label's lines (with their style), and its amount.
    type Laid = (Vec<(String, Style)>, Option<(String, Style)>);
    let laid_out: Vec<Laid> = rows
        .iter()
        .map(|row| match row {
            Row::Amount {
                label,
                note,
                amount,
                strong,
            } => {
                let style = if *strong { TOTAL } else { CELL };
                let mut lines: Vec<(String, Style)> = canvas
                    .wrap(label, style, label_width)
                    .into_iter()
                    .map(|line| (line, style))
                    .collect();
                if let Some(note) = note {
                    let wrapped = canvas.wrap(note, CELL_NOTE, label_width);
                    lines.extend(wrapped.into_iter().map(|line| (line, CELL_NOTE)));
                }
                (lines, Some((money(*amount, &doc.currency), style)))
            }
            Row::Rule => (Vec::new(), None),
        })
        .collect();
    let height = |(lines, amount): &Laid| match amount {
        Some(_) => lines.iter().map(|(_, style)| leading(*style)).sum::<f32>() + 4.0,
        None => 12.0,
    };
    let total_height: f32 = laid_out.iter().map(height).sum();

    let mut y = top;
    if y - total_height < BOTTOM && total_height < TOP - BOTTOM {
        canvas.new_page();
        y = TOP;
    }
    for row in &laid_out {
        let h = height(row);
        if y - h < BOTTOM {
            canvas.new_page();
            y = TOP;
        }
        match row {
            (lines, Some((amount, style))) => {
                canvas.text_right(RIGHT, y - style.size, amount, *style);
                let mut line_top = y;
                for (line, line_style) in lines {
                    canvas.text(TOTALS_X, line_top - line_style.size, line, *line_style);
                    line_top -= leading(*line_style);
                }
            }
            (_, None) => canvas.rule(TOTALS_X, RIGHT, y - 4.0, 0.6, MUTED),
        }
        y -= h;
    }
}

fn footers(canvas: &mut Canvas, doc: &InvoiceDocument) {
    let mut left = format!("Invoice {} · {}", doc.number, doc.seller.name);
    // Leave room for "Page n of m" on the right.
    let room = RIGHT - LEFT - 80.0;
    let lines = canvas.wrap(&left, FOOTER, room - canvas.width(" …", FOOTER));
    if lines.len() > 1 {
        left = format!("{} …", lines[0]);
    }
    canvas.for_each_page(|canvas, page, pages| {
        canvas.text(LEFT, FOOTER_BASELINE, &left, FOOTER);
        let right = format!("Page {page} of {pages}");
        canvas.text_right(RIGHT, FOOTER_BASELINE, &right, FOOTER);
    });
}

/// What is left to pay (saturating: amounts come from outside).
fn amount_due(doc: &InvoiceDocument) -> i64 {
    doc.total.saturating_sub(doc.amount_paid)
}

/// The sum of the refunds.
fn refunded(doc: &InvoiceDocument) -> i64 {
    doc.refunds
        .iter()
        .fold(0_i64, |sum, refund| sum.saturating_add(refund.amount))
}

/// "March 1, 2026".
pub(super) fn long_date(date: NaiveDate) -> String {
    date.format("%B %-d, %Y").to_string()
}

/// "Mar 1, 2026".
pub(super) fn short_date(date: NaiveDate) -> String {
    date.format("%b %-d, %Y").to_string()
}

/// "Mar 1 – Mar 31, 2026", or "Dec 15, 2025 – Jan 15, 2026" across a new year.
pub(super) fn period(start: NaiveDate, end: NaiveDate) -> String {
    if start.year() == end.year() {
        format!("{} – {}", start.format("%b %-d"), end.format("%b %-d, %Y"))
    } else {
        format!(
            "{} – {}",
            start.format("%b %-d, %Y"),
            end.format("%b %-d, %Y")
        )
    }
}
