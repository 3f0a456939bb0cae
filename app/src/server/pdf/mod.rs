//! Invoice PDFs: data in, bytes out.
//!
//! [`render`] lays an [`InvoiceDocument`] out on A4 pages (one for a normal invoice; the line
//! table flows onto further pages when it has to) and returns the PDF file. It does no I/O and
//! holds no state beyond the fonts, which are parsed once per process.
//!
//! Text is set in DejaVu Sans (regular and bold, embedded from `app/assets/fonts/`), which covers
//! Latin, Greek and Cyrillic; a character the font lacks shows as an empty box. Only the glyphs
//! an invoice uses are embedded (subset), and every string stays extractable: copying text out
//! of the PDF, or `pdftotext`, gives back the real characters.
//!
//! All amounts are integer minor units of [`InvoiceDocument::currency`], formatted by
//! [`Money`]'s `Display`.

mod canvas;
mod fonts;
mod invoice;
pub mod sample;
#[cfg(test)]
mod tests;

use crate::model::{Currency, Money};
use chrono::NaiveDate;
use printpdf::{
    ImageCompression, ImageOptimizationOptions, PdfDocument, PdfParseErrorSeverity, PdfSaveOptions,
    RawImage,
};

#[doc(hidden)]
pub use fonts::embedded_font_bytes;

/// Everything an invoice PDF shows.
#[derive(Debug, Clone, PartialEq)]
pub struct InvoiceDocument {
    pub seller: Party,
    pub buyer: Party,
    /// Stripe's invoice number ("A1B2C3-0001"), or the invoice id when it has none.
    pub number: String,
    pub issued: NaiveDate,
    pub due: Option<NaiveDate>,
    /// Set when the invoice is paid: draws a "Paid" mark with the date.
    pub paid_on: Option<NaiveDate>,
    /// The billing period the invoice covers, when it has one.
    pub period: Option<(NaiveDate, NaiveDate)>,
    pub currency: Currency,
    pub lines: Vec<Line>,
    pub subtotal: i64,
    pub discounts: Vec<Discount>,
    pub taxes: Vec<TaxLine>,
    pub total: i64,
    pub amount_paid: i64,
    pub refunds: Vec<Refund>,
    /// PNG bytes of the seller's logo, drawn top-left (at most 160 x 56 pt, aspect kept) when
    /// present. Decoding needs printpdf's `png` feature. A logo that cannot be decoded is left
    /// out (with a warning in the log); check uploads with [`check_logo`].
    pub logo_png: Option<Vec<u8>>,
}

/// The seller or the buyer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Party {
    pub name: String,
    pub email: Option<String>,
    /// Already formatted address lines.
    pub address: Vec<String>,
    /// Tax IDs as shown, e.g. "EU VAT DE123456789".
    pub tax_ids: Vec<String>,
}

/// One row of the line table.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub description: String,
    /// Shown under the description, smaller.
    pub period: Option<(NaiveDate, NaiveDate)>,
    pub quantity: i64,
    /// Left blank when `None` (tiered or metered prices have no single unit price).
    pub unit_amount: Option<i64>,
    pub amount: i64,
}

/// A discount, shown in the totals as "Discount (label)".
#[derive(Debug, Clone, PartialEq)]
pub struct Discount {
    /// The coupon's name or code ("LAUNCH20").
    pub label: String,
    /// Positive; shown as a deduction.
    pub amount: i64,
}

/// One tax in the totals.
#[derive(Debug, Clone, PartialEq)]
pub struct TaxLine {
    /// "VAT", "Sales tax".
    pub name: String,
    /// "19%", "8.875%": text, never a float.
    pub rate: String,
    /// "Germany", "New York".
    pub jurisdiction: Option<String>,
    /// Included in the line amounts (shown as "Incl. VAT ..."), rather than added on top.
    pub inclusive: bool,
    pub amount: i64,
}

/// A refund of (part of) the amount paid.
#[derive(Debug, Clone, PartialEq)]
pub struct Refund {
    pub date: NaiveDate,
    /// Positive; shown as a deduction.
    pub amount: i64,
    pub reason: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// One of the embedded fonts did not parse (a build problem, not a data one).
    #[error("the embedded font {0} could not be read")]
    Font(&'static str),
    /// A logo that [`check_logo`] refuses.
    #[error("the logo could not be used: {0}")]
    Logo(String),
    /// printpdf reported an error while writing the file.
    #[error("the invoice PDF could not be written: {0}")]
    Write(String),
}

/// The largest logo accepted, in pixels per side. A logo is drawn at most 160 pt wide, so this
/// is still over 400 dpi, and it bounds the work (and memory) a render spends decoding it.
const MAX_LOGO_SIDE: usize = 1000;

/// Renders `doc` as a PDF file.
pub fn render(doc: &InvoiceDocument) -> Result<Vec<u8>, PdfError> {
    let fonts = fonts::fonts()?;
    let mut pdf = PdfDocument::new(&format!("Invoice {}", doc.number));
    pdf.metadata.info.author = doc.seller.name.clone();
    pdf.metadata.info.creator = "Paydesk".into();
    pdf.metadata.info.producer = "Paydesk (printpdf)".into();
    pdf.metadata.info.subject = format!("Invoice {} for {}", doc.number, doc.buyer.name);
    // Dated by the invoice, not the clock, so a render depends on its input alone.
    let issued = doc
        .issued
        .and_time(chrono::NaiveTime::MIN)
        .and_utc()
        .timestamp();
    if let Ok(date) = printpdf::OffsetDateTime::from_unix_timestamp(issued) {
        pdf.metadata.info.creation_date = date;
        pdf.metadata.info.modification_date = date;
        pdf.metadata.info.metadata_date = date;
    }

    let regular = pdf.add_font(&fonts.regular.parsed);
    let bold = pdf.add_font(&fonts.bold.parsed);
    // A logo that cannot be decoded is left out rather than failing the invoice: uploads are
    // meant to be checked with `check_logo`, and an invoice without its logo beats none at all.
    let logo = match doc.logo_png.as_deref().map(decode_logo) {
        Some(Ok(image)) => {
            let size = (image.width, image.height);
            Some((pdf.add_image(&image), size))
        }
        Some(Err(error)) => {
            tracing::warn!(invoice = %doc.number, %error, "invoice PDF drawn without its logo");
            None
        }
        None => None,
    };

    let mut canvas = canvas::Canvas::new(fonts, regular, bold);
    invoice::draw(
        &mut canvas,
        doc,
        logo.as_ref().map(|(id, size)| (id, *size)),
    );
    pdf.pages = canvas.into_pages();

    let options = PdfSaveOptions {
        // Keep the logo lossless (the default may re-encode it as JPEG).
        image_optimization: Some(ImageOptimizationOptions {
            quality: None,
            max_image_size: None,
            dither_greyscale: None,
            convert_to_greyscale: None,
            auto_optimize: Some(false),
            format: Some(ImageCompression::Flate),
        }),
        ..PdfSaveOptions::default()
    };
    let mut warnings = Vec::new();
    let bytes = pdf.save(&options, &mut warnings);
    if let Some(error) = warnings
        .iter()
        .find(|w| w.severity == PdfParseErrorSeverity::Error)
    {
        return Err(PdfError::Write(error.msg.clone()));
    }
    if bytes.is_empty() {
        return Err(PdfError::Write("printpdf produced no bytes".into()));
    }
    Ok(bytes)
}

/// Checks that `png` can be used as [`InvoiceDocument::logo_png`] (for the upload form, so a bad
/// logo is refused there rather than failing every invoice later).
pub fn check_logo(png: &[u8]) -> Result<(), PdfError> {
    decode_logo(png).map(|_| ())
}

fn decode_logo(png: &[u8]) -> Result<RawImage, PdfError> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if !png.starts_with(SIGNATURE) {
        return Err(PdfError::Logo("not a PNG file".into()));
    }
    // Width and height are the first two fields of the IHDR chunk, which must come first.
    let side = |at: usize| {
        png.get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map(|b: [u8; 4]| u32::from_be_bytes(b) as usize)
    };
    match (side(16), side(20)) {
        (Some(w), Some(h)) if w > 0 && h > 0 && w <= MAX_LOGO_SIDE && h <= MAX_LOGO_SIDE => {}
        (Some(w), Some(h)) => {
            return Err(PdfError::Logo(format!(
                "{w} x {h} pixels; at most {MAX_LOGO_SIDE} pixels a side"
            )))
        }
        _ => return Err(PdfError::Logo("truncated PNG header".into())),
    }
    RawImage::decode_from_bytes(png, &mut Vec::new()).map_err(PdfError::Logo)
}

/// `amount` minor units of `currency` as text ("$1,299.00").
fn money(amount: i64, currency: &Currency) -> String {
    Money::new(amount, currency.clone()).to_string()
}
