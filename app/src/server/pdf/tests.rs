//! Golden tests: each sample invoice is rendered, its text extracted with poppler's
//! `pdftotext -layout`, and compared with `golden/<case>.txt`. After an intended layout change,
//! rerun with `UPDATE_GOLDEN=1` to rewrite the golden files, and review their diff.

use super::invoice::{long_date, period};
use super::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `file!()` is relative to the workspace root in a workspace build (and absolute when the module
/// is mounted by path); find the directory this file is in either way.
fn golden_dir() -> PathBuf {
    let this = Path::new(file!());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let file = manifest
        .ancestors()
        .map(|base| base.join(this))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| panic!("cannot find {} from {}", this.display(), manifest.display()));
    file.parent().expect("a file has a parent").join("golden")
}

/// The text of `pdf` as `pdftotext -layout` extracts it, trailing whitespace removed from every
/// line and page breaks written as a marker line.
fn extract_text(case: &str, pdf: &[u8]) -> String {
    let path =
        std::env::temp_dir().join(format!("paydesk-invoice-{case}-{}.pdf", std::process::id()));
    std::fs::write(&path, pdf).expect("write the PDF to a temporary file");
    let output = Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "could not run pdftotext ({e}); the invoice PDF tests need poppler-utils \
                 (apt-get install poppler-utils)"
            )
        });
    let _ = std::fs::remove_file(&path);
    assert!(
        output.status.success(),
        "pdftotext failed on {case}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("pdftotext writes UTF-8");
    let pages: Vec<String> = text
        .split('\u{c}')
        .map(|page| {
            let lines: Vec<&str> = page.lines().map(str::trim_end).collect();
            lines.join("\n").trim_matches('\n').to_owned()
        })
        .filter(|page| !page.is_empty())
        .collect();
    pages.join("\n\n----- page break -----\n\n") + "\n"
}

fn check_golden(case: &str, doc: &InvoiceDocument) -> Vec<u8> {
    let pdf = render(doc).unwrap_or_else(|e| panic!("render {case}: {e}"));
    let text = extract_text(case, &pdf);
    let path = golden_dir().join(format!("{case}.txt"));
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("golden dir")).expect("create golden dir");
        std::fs::write(&path, &text).expect("write golden file");
        return pdf;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}); run with UPDATE_GOLDEN=1 to create it",
            path.display()
        )
    });
    if text != expected {
        let first = text
            .lines()
            .zip(expected.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(text.lines().count().min(expected.lines().count()));
        panic!(
            "{case}: the extracted text differs from {} from line {} on \
             (rerun with UPDATE_GOLDEN=1 if the change is intended)\n\
             ----- expected -----\n{expected}\n----- got -----\n{text}",
            path.display(),
            first + 1
        );
    }
    pdf
}

#[test]
fn plain_paid_usd_matches_golden_and_stays_small() {
    let pdf = check_golden("plain_paid_usd", &sample::plain_paid_usd());
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(
        pdf.len() < 40 * 1024,
        "a one-line invoice should stay under 40 KB, got {} bytes",
        pdf.len()
    );
}

#[test]
fn multi_line_eur_with_discount_and_two_taxes_matches_golden() {
    check_golden("multi_line_eur", &sample::multi_line_eur());
}

#[test]
fn jpy_invoice_matches_golden() {
    check_golden("jpy", &sample::jpy());
}

#[test]
fn partially_refunded_invoice_matches_golden() {
    check_golden("partially_refunded", &sample::partially_refunded());
}

#[test]
fn non_latin_buyer_matches_golden() {
    check_golden("non_latin", &sample::non_latin());
}

#[test]
fn many_lines_flow_onto_a_second_page() {
    let pdf = check_golden("many_lines", &sample::many_lines());
    let text = extract_text("many_lines_pages", &pdf);
    assert!(text.contains("Page 2 of 2"), "{text}");
}

#[test]
fn fonts_are_embedded_as_subsets() {
    let pdf = render(&sample::non_latin()).expect("render");
    let tags = pdf
        .windows(12)
        .filter(|w| w.ends_with(b"+DejaVuSans"))
        .count();
    assert!(
        tags >= 2,
        "both faces should carry a subset tag (XXXXXX+DejaVuSans)"
    );
    assert!(
        pdf.windows(9).any(|w| w == b"FontFile2"),
        "the fonts are embedded"
    );
    assert!(
        pdf.len() * 10 < embedded_font_bytes(),
        "{} bytes is too large for subset fonts",
        pdf.len()
    );
}

#[test]
fn a_fully_refunded_invoice_says_refunded() {
    let mut doc = sample::partially_refunded();
    doc.refunds.push(Refund {
        date: NaiveDate::from_ymd_opt(2026, 3, 5).expect("date"),
        amount: 5280,
        reason: Some("Duplicate".into()),
    });
    let text = extract_text("fully_refunded", &render(&doc).expect("render"));
    assert!(text.contains("REFUNDED"), "{text}");
    assert!(!text.contains("PARTIALLY"), "{text}");
    assert!(
        text.contains("Net paid") && text.contains("£0.00"),
        "{text}"
    );
}

#[test]
fn the_logo_is_drawn_when_given() {
    let pdf = render(&sample::with_logo()).expect("render with logo");
    assert!(pdf
        .windows(13)
        .any(|w| w == b"/Subtype/Imag" || w == b"/Subtype /Ima"));
    assert!(
        pdf.windows(5).any(|w| w == b"SMask"),
        "the logo keeps its transparency"
    );
    // The logo moves the seller block down but changes no text.
    let words = |text: String| {
        let mut words: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
        words.sort();
        words
    };
    let without = render(&sample::plain_paid_usd()).expect("render");
    assert_eq!(
        words(extract_text("logo", &pdf)),
        words(extract_text("no_logo", &without))
    );
}

#[test]
fn a_bad_logo_is_refused_with_a_reason() {
    assert!(check_logo(sample::LOGO_PNG).is_ok());
    for bad in [
        &b"GIF89a"[..],
        b"\x89PNG\r\n\x1a\n",
        &sample::LOGO_PNG[..60],
    ] {
        let err = check_logo(bad).expect_err("not a usable PNG");
        assert!(matches!(err, PdfError::Logo(_)), "{err}");
    }
    // The invoice is still drawn, without the logo.
    let mut doc = sample::plain_paid_usd();
    doc.logo_png = Some(b"not a png".to_vec());
    let pdf = render(&doc).expect("a bad logo does not fail the invoice");
    assert!(!pdf.windows(5).any(|w| w == b"SMask"));
    assert!(extract_text("bad_logo", &pdf).contains("Jane Cooper"));
}

#[test]
fn periods_name_the_year_once_unless_they_span_two() {
    let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
    assert_eq!(
        period(d(2026, 3, 1), d(2026, 3, 31)),
        "Mar 1 – Mar 31, 2026"
    );
    assert_eq!(
        period(d(2025, 12, 15), d(2026, 1, 14)),
        "Dec 15, 2025 – Jan 14, 2026"
    );
    assert_eq!(long_date(d(2026, 4, 9)), "April 9, 2026");
}

#[test]
fn long_descriptions_wrap_inside_their_column() {
    let fonts = fonts::fonts().expect("fonts");
    let mut pdf = printpdf::PdfDocument::new("wrap");
    let regular = pdf.add_font(&fonts.regular.parsed);
    let bold = pdf.add_font(&fonts.bold.parsed);
    let canvas = canvas::Canvas::new(fonts, regular, bold);
    let style = canvas::Style::new(fonts::Weight::Regular, 10.0, (0, 0, 0));
    let text = "Metered usage including burst capacity above the committed rate";
    let lines = canvas.wrap(text, style, 120.0);
    assert!(lines.len() > 1, "{lines:?}");
    assert!(
        lines.iter().all(|l| canvas.width(l, style) <= 120.0),
        "{lines:?}"
    );
    assert_eq!(lines.join(" "), text);
    // A word wider than the column is broken inside.
    let long = canvas.wrap(&"x".repeat(80), style, 100.0);
    assert!(long.len() > 1 && long.iter().all(|l| canvas.width(l, style) <= 100.0));
    assert_eq!(canvas.wrap("", style, 100.0), vec![String::new()]);
}

#[test]
fn text_is_measured_from_the_glyph_advances() {
    let fonts = fonts::fonts().expect("fonts");
    // DejaVu Sans: 'M' advances 1767/2048 em, '1' 1303/2048.
    let m = fonts.regular.text_width("M", 1000.0);
    assert!((m - 862.0).abs() < 1.0, "{m}");
    let digits = fonts.regular.text_width("1111", 10.0);
    assert!((digits - 4.0 * 6.36).abs() < 0.05, "{digits}");
    assert!(fonts.bold.text_width("Total", 10.0) > fonts.regular.text_width("Total", 10.0));
}

#[test]
fn odd_documents_render_without_panicking() {
    let empty = InvoiceDocument {
        seller: Party::default(),
        buyer: Party::default(),
        number: String::new(),
        lines: Vec::new(),
        discounts: Vec::new(),
        taxes: Vec::new(),
        refunds: Vec::new(),
        ..sample::plain_paid_usd()
    };
    render(&empty).expect("an empty invoice renders");

    let mut extreme = sample::partially_refunded();
    extreme.total = i64::MIN;
    extreme.amount_paid = i64::MAX;
    extreme.lines[0].amount = i64::MIN;
    extreme.lines[0].description = "x".repeat(500);
    extreme.seller.name = "A very long seller name ".repeat(12);
    extreme.number = "in_".to_owned() + &"9".repeat(60);
    extreme.refunds[0].amount = i64::MAX;
    extreme.discounts.push(Discount {
        label: String::new(),
        amount: i64::MIN,
    });
    extreme.taxes.push(TaxLine {
        name: String::new(),
        rate: String::new(),
        jurisdiction: None,
        inclusive: false,
        amount: 1,
    });
    let text = extract_text(
        "extreme",
        &render(&extreme).expect("extreme amounts render"),
    );
    assert!(text.contains("Discount "), "{text}");
    assert!(text.contains("Tax "), "{text}");
}
