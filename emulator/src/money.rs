//! Amounts are integer minor units; only the hosted pages turn them into text.

/// Currencies whose minor unit is the major unit (Stripe's list).
const ZERO_DECIMAL: &[&str] = &[
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
];

pub fn is_zero_decimal(currency: &str) -> bool {
    ZERO_DECIMAL.contains(&currency.to_ascii_lowercase().as_str())
}

/// `1999, "usd"` -> `"$19.99"`; `1500, "jpy"` -> `"¥1500"`; unknown symbols fall back to the code.
pub fn format_amount(amount: i64, currency: &str) -> String {
    let code = currency.to_ascii_lowercase();
    let symbol = match code.as_str() {
        "usd" => "$",
        "eur" => "€",
        "gbp" => "£",
        "jpy" => "¥",
        _ => "",
    };
    let sign = if amount < 0 { "-" } else { "" };
    let abs = amount.unsigned_abs();
    let number = if is_zero_decimal(&code) {
        abs.to_string()
    } else {
        format!("{}.{:02}", abs / 100, abs % 100)
    };
    if symbol.is_empty() {
        format!("{sign}{number} {}", code.to_ascii_uppercase())
    } else {
        format!("{sign}{symbol}{number}")
    }
}

/// `amount * basis_points / 10000`, rounded half up, in integers.
pub fn percentage(amount: i64, basis_points: i64) -> i64 {
    (amount * basis_points + 5_000).div_euclid(10_000)
}

/// `"25.5"` -> `2550`: a decimal percentage as Stripe sends it, in basis points (two decimals at most).
pub fn parse_basis_points(text: &str) -> Option<i64> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let fraction = fraction.trim_end_matches('0');
    if whole.is_empty() || !whole.chars().all(|c| c.is_ascii_digit()) || fraction.len() > 2 {
        return None;
    }
    if !fraction.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let fraction: i64 = format!("{fraction:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(fraction)
}

/// `2550` -> the JSON number `25.5`, the form Stripe returns percentages in.
pub fn percent_json(basis_points: i64) -> serde_json::Value {
    let text = if basis_points % 100 == 0 {
        (basis_points / 100).to_string()
    } else {
        format!("{}.{:02}", basis_points / 100, basis_points % 100)
            .trim_end_matches('0')
            .to_owned()
    };
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_decimal_currencies_show_cents() {
        assert_eq!(format_amount(1999, "usd"), "$19.99");
        assert_eq!(format_amount(5, "eur"), "€0.05");
        assert_eq!(format_amount(120000, "chf"), "1200.00 CHF");
    }

    #[test]
    fn zero_decimal_currencies_show_whole_units() {
        assert_eq!(format_amount(1500, "jpy"), "¥1500");
    }

    #[test]
    fn percentages_parse_to_basis_points_and_back() {
        assert_eq!(parse_basis_points("25.5"), Some(2550));
        assert_eq!(parse_basis_points("19"), Some(1900));
        assert_eq!(parse_basis_points("7.25"), Some(725));
        assert_eq!(parse_basis_points("20.0"), Some(2000));
        assert_eq!(parse_basis_points("1.234"), None);
        assert_eq!(parse_basis_points("-5"), None);
        assert_eq!(percent_json(2550).to_string(), "25.5");
        assert_eq!(percent_json(1900).to_string(), "19");
    }

    #[test]
    fn percentage_rounds_half_up() {
        assert_eq!(percentage(1000, 1900), 190);
        assert_eq!(percentage(999, 1900), 190);
        assert_eq!(percentage(25, 2000), 5);
    }
}
