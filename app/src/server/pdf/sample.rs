//! Sample invoices for the golden tests and the benchmark (`app/benches/invoice_pdf.rs`).
#![doc(hidden)]

use super::{Discount, InvoiceDocument, Line, Party, Refund, TaxLine};
use crate::model::Currency;
use chrono::NaiveDate;

/// A 240 x 80 RGBA logo (a blue badge with transparent corners), 2 KB.
pub const LOGO_PNG: &[u8] = include_bytes!("testdata/logo.png");

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid sample date")
}

fn currency(code: &str) -> Currency {
    Currency::parse(code).expect("a valid sample currency")
}

fn lines(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn us_seller() -> Party {
    Party {
        name: "Paydesk Demo Inc.".into(),
        email: Some("billing@paydesk.example".into()),
        address: lines(&[
            "548 Market Street, Suite 300",
            "San Francisco, CA 94104",
            "United States",
        ]),
        tax_ids: lines(&["US EIN 12-3456789"]),
    }
}

fn german_seller() -> Party {
    Party {
        name: "Nordlicht Software GmbH".into(),
        email: Some("rechnung@nordlicht.example".into()),
        address: lines(&["Friedrichstraße 68", "10117 Berlin", "Germany"]),
        tax_ids: lines(&["EU VAT DE123456789"]),
    }
}

/// One line, paid in full, in dollars: the common case, and the one the benchmark renders.
pub fn plain_paid_usd() -> InvoiceDocument {
    InvoiceDocument {
        seller: us_seller(),
        buyer: Party {
            name: "Jane Cooper".into(),
            email: Some("jane@cooper.example".into()),
            address: lines(&["1200 Pine Street", "Seattle, WA 98101", "United States"]),
            tax_ids: Vec::new(),
        },
        number: "A1B2C3-0001".into(),
        issued: date(2026, 3, 1),
        due: None,
        paid_on: Some(date(2026, 3, 1)),
        period: Some((date(2026, 3, 1), date(2026, 3, 31))),
        currency: currency("usd"),
        lines: vec![Line {
            description: "Pro plan".into(),
            period: Some((date(2026, 3, 1), date(2026, 3, 31))),
            quantity: 1,
            unit_amount: Some(2900),
            amount: 2900,
        }],
        subtotal: 2900,
        discounts: Vec::new(),
        taxes: Vec::new(),
        total: 2900,
        amount_paid: 2900,
        refunds: Vec::new(),
        logo_png: None,
    }
}

/// Three lines, a coupon and two VAT rates, open, in euros.
pub fn multi_line_eur() -> InvoiceDocument {
    let period = Some((date(2026, 3, 1), date(2026, 3, 31)));
    InvoiceDocument {
        seller: german_seller(),
        buyer: Party {
            name: "Zoë Müller-Lüdenscheidt".into(),
            email: Some("zoe@bäckerei-müller.example".into()),
            address: lines(&[
                "Bäckerei Müller KG",
                "Mariahilfer Straße 1",
                "1060 Wien",
                "Austria",
            ]),
            tax_ids: lines(&["EU VAT ATU12345678"]),
        },
        number: "NL7K2Q-0042".into(),
        issued: date(2026, 3, 31),
        due: Some(date(2026, 4, 14)),
        paid_on: None,
        period,
        currency: currency("eur"),
        lines: vec![
            Line {
                description: "Team plan (per seat)".into(),
                period,
                quantity: 5,
                unit_amount: Some(1900),
                amount: 9500,
            },
            Line {
                description: "Extra storage, 100 GB".into(),
                period,
                quantity: 2,
                unit_amount: Some(450),
                amount: 900,
            },
            Line {
                description: "Handbook: Billing for bakeries (e-book, reduced VAT rate)".into(),
                period: None,
                quantity: 1,
                unit_amount: Some(2500),
                amount: 2500,
            },
        ],
        subtotal: 12900,
        discounts: vec![Discount {
            label: "LAUNCH20".into(),
            amount: 2580,
        }],
        taxes: vec![
            TaxLine {
                name: "VAT".into(),
                rate: "19%".into(),
                jurisdiction: Some("Germany".into()),
                inclusive: false,
                amount: 1581,
            },
            TaxLine {
                name: "VAT".into(),
                rate: "7%".into(),
                jurisdiction: Some("Germany".into()),
                inclusive: false,
                amount: 140,
            },
        ],
        total: 12041,
        amount_paid: 0,
        refunds: Vec::new(),
        logo_png: None,
    }
}

/// Yen (no minor unit) with amounts over a thousand, a yearly period across New Year, paid.
pub fn jpy() -> InvoiceDocument {
    InvoiceDocument {
        seller: Party {
            name: "Tanuki Systems K.K.".into(),
            email: Some("billing@tanuki.example".into()),
            address: lines(&["2-11-3 Meguro, Meguro-ku", "Tokyo 153-0063", "Japan"]),
            tax_ids: lines(&["JP CN T1234567890123"]),
        },
        buyer: Party {
            name: "Kenji Watanabe".into(),
            email: Some("kenji@watanabe.example".into()),
            address: lines(&["1-1 Umeda, Kita-ku", "Osaka 530-0001", "Japan"]),
            tax_ids: Vec::new(),
        },
        number: "TNK-2026-0007".into(),
        issued: date(2026, 12, 1),
        due: Some(date(2026, 12, 31)),
        paid_on: Some(date(2026, 12, 3)),
        period: Some((date(2026, 12, 1), date(2027, 11, 30))),
        currency: currency("jpy"),
        lines: vec![
            Line {
                description: "Enterprise plan (yearly)".into(),
                period: Some((date(2026, 12, 1), date(2027, 11, 30))),
                quantity: 1,
                unit_amount: Some(150_000),
                amount: 150_000,
            },
            Line {
                description: "Additional seats".into(),
                period: Some((date(2026, 12, 1), date(2027, 11, 30))),
                quantity: 12,
                unit_amount: Some(1_200),
                amount: 14_400,
            },
        ],
        subtotal: 164_400,
        discounts: Vec::new(),
        taxes: vec![TaxLine {
            name: "JCT".into(),
            rate: "10%".into(),
            jurisdiction: Some("Japan".into()),
            inclusive: false,
            amount: 16_440,
        }],
        total: 180_840,
        amount_paid: 180_840,
        refunds: Vec::new(),
        logo_png: None,
    }
}

/// Paid, then partly refunded twice, in pounds.
pub fn partially_refunded() -> InvoiceDocument {
    let period = Some((date(2026, 2, 15), date(2026, 3, 14)));
    InvoiceDocument {
        seller: Party {
            name: "Foxglove Analytics Ltd".into(),
            email: Some("accounts@foxglove.example".into()),
            address: lines(&["14 Deansgate", "Manchester M3 2BW", "United Kingdom"]),
            tax_ids: lines(&["GB VAT GB123456789"]),
        },
        buyer: Party {
            name: "Siobhán O'Connor".into(),
            email: Some("siobhan@oconnor.example".into()),
            address: lines(&["7 Grafton Street", "Dublin D02 VF25", "Ireland"]),
            tax_ids: Vec::new(),
        },
        number: "FXG-1093".into(),
        issued: date(2026, 2, 15),
        due: Some(date(2026, 3, 1)),
        paid_on: Some(date(2026, 2, 16)),
        period,
        currency: currency("gbp"),
        lines: vec![
            Line {
                description: "Growth plan".into(),
                period,
                quantity: 1,
                unit_amount: Some(4900),
                amount: 4900,
            },
            Line {
                description: "Priority support".into(),
                period,
                quantity: 1,
                unit_amount: Some(2000),
                amount: 2000,
            },
        ],
        subtotal: 6900,
        discounts: Vec::new(),
        taxes: vec![TaxLine {
            name: "VAT".into(),
            rate: "20%".into(),
            jurisdiction: Some("United Kingdom".into()),
            inclusive: false,
            amount: 1380,
        }],
        total: 8280,
        amount_paid: 8280,
        refunds: vec![
            Refund {
                date: date(2026, 2, 20),
                amount: 2400,
                reason: Some("Requested by customer".into()),
            },
            Refund {
                date: date(2026, 3, 2),
                amount: 600,
                reason: None,
            },
        ],
        logo_png: None,
    }
}

/// A buyer in Cyrillic with a Greek address, a Cyrillic line, and VAT included in the price.
pub fn non_latin() -> InvoiceDocument {
    InvoiceDocument {
        seller: german_seller(),
        buyer: Party {
            name: "Ивана Петрова".into(),
            email: Some("ivana@petrova.example".into()),
            address: lines(&["Οδός Ερμού 25", "105 63 Αθήνα", "Ελλάδα"]),
            tax_ids: lines(&["EU VAT EL123456789"]),
        },
        number: "NL7K2Q-0043".into(),
        issued: date(2026, 4, 1),
        due: Some(date(2026, 4, 15)),
        paid_on: None,
        period: Some((date(2026, 4, 1), date(2026, 4, 30))),
        currency: currency("eur"),
        lines: vec![Line {
            description: "Подписка «Профи» (Pro plan)".into(),
            period: Some((date(2026, 4, 1), date(2026, 4, 30))),
            quantity: 1,
            unit_amount: Some(4900),
            amount: 4900,
        }],
        subtotal: 4900,
        discounts: Vec::new(),
        taxes: vec![TaxLine {
            name: "ΦΠΑ".into(),
            rate: "24%".into(),
            jurisdiction: Some("Ελλάδα".into()),
            inclusive: true,
            amount: 948,
        }],
        total: 4900,
        amount_paid: 0,
        refunds: Vec::new(),
        logo_png: None,
    }
}

/// Usage billing with 30 lines (long descriptions, a proration credit, lines without a unit
/// price): flows onto a second page.
pub fn many_lines() -> InvoiceDocument {
    let period = Some((date(2026, 5, 1), date(2026, 5, 31)));
    let mut lines_out = Vec::new();
    let mut subtotal = 0;
    for i in 1..=28_i64 {
        let quantity = 10 * i + 3;
        let unit = 25 + i;
        let description = if i % 9 == 0 {
            format!(
                "API requests, region eu-central-{i}: metered usage including burst capacity \
                 above the committed rate"
            )
        } else {
            format!("API requests, region eu-central-{i}")
        };
        lines_out.push(Line {
            description,
            period: if i % 2 == 0 { period } else { None },
            quantity,
            unit_amount: Some(unit),
            amount: quantity * unit,
        });
        subtotal += quantity * unit;
    }
    lines_out.push(Line {
        description: "Unused time on Starter plan after 10 May 2026".into(),
        period: Some((date(2026, 5, 10), date(2026, 5, 31))),
        quantity: 1,
        unit_amount: None,
        amount: -1355,
    });
    lines_out.push(Line {
        description: "Remaining time on Scale plan after 10 May 2026".into(),
        period: Some((date(2026, 5, 10), date(2026, 5, 31))),
        quantity: 1,
        unit_amount: None,
        amount: 6774,
    });
    subtotal += 6774 - 1355;
    InvoiceDocument {
        seller: us_seller(),
        buyer: Party {
            name: "Globex Corporation".into(),
            email: Some("ap@globex.example".into()),
            address: lines(&[
                "Attn: Accounts Payable",
                "500 Industrial Way",
                "Springfield, OR 97477",
                "United States",
            ]),
            tax_ids: Vec::new(),
        },
        number: "A1B2C3-0107".into(),
        issued: date(2026, 6, 1),
        due: Some(date(2026, 7, 1)),
        paid_on: None,
        period,
        currency: currency("usd"),
        lines: lines_out,
        subtotal,
        discounts: Vec::new(),
        taxes: Vec::new(),
        total: subtotal,
        amount_paid: 0,
        refunds: Vec::new(),
        logo_png: None,
    }
}

/// [`plain_paid_usd`] with [`LOGO_PNG`].
pub fn with_logo() -> InvoiceDocument {
    InvoiceDocument {
        logo_png: Some(LOGO_PNG.to_vec()),
        ..plain_paid_usd()
    }
}
