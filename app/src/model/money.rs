use serde::{Deserialize, Serialize};
use std::fmt;

/// An ISO 4217 currency code, stored lowercase as Stripe does.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(String);

impl Currency {
    pub fn parse(code: &str) -> Result<Self, String> {
        let code = code.trim().to_ascii_lowercase();
        if code.len() == 3 && code.bytes().all(|b| b.is_ascii_lowercase()) {
            Ok(Self(code))
        } else {
            Err(format!("'{code}' is not a three-letter currency code."))
        }
    }

    pub fn code(&self) -> &str {
        &self.0
    }

    /// How many digits the minor unit has. Stripe's zero-decimal currencies take amounts in
    /// whole units (¥500 is `500`), and its three-decimal ones in thousandths.
    pub fn decimals(&self) -> u32 {
        match self.0.as_str() {
            "bif" | "clp" | "djf" | "gnf" | "jpy" | "kmf" | "krw" | "mga" | "pyg" | "rwf"
            | "ugx" | "vnd" | "vuv" | "xaf" | "xof" | "xpf" => 0,
            "bhd" | "jod" | "kwd" | "omr" | "tnd" => 3,
            _ => 2,
        }
    }

    fn symbol(&self) -> Option<&'static str> {
        Some(match self.0.as_str() {
            "usd" => "$",
            "eur" => "€",
            "gbp" => "£",
            "jpy" => "¥",
            "inr" => "₹",
            _ => return None,
        })
    }
}

impl TryFrom<String> for Currency {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.0
    }
}

/// An amount in integer minor units of a currency. Never a float.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount_minor: i64, currency: Currency) -> Self {
        Self {
            amount_minor,
            currency,
        }
    }
}

impl Money {
    /// Reads an amount as people type it ("29", "29.5", "1,299.00") into minor units of
    /// `currency`, exactly: no floats, and no more decimals than the currency has.
    pub fn parse_major(raw: &str, currency: Currency) -> Result<Self, String> {
        let cleaned: String = raw
            .trim()
            .chars()
            .filter(|c| *c != ',' && *c != '_')
            .collect();
        let (whole, frac) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
        let decimals = currency.decimals() as usize;
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || !(frac.is_empty() || digits(frac)) {
            return Err(format!("'{}' is not an amount.", raw.trim()));
        }
        if frac.len() > decimals {
            return Err(match decimals {
                0 => format!(
                    "{} has no minor unit: give a whole amount.",
                    currency.code().to_ascii_uppercase()
                ),
                d => format!(
                    "At most {d} decimals for {}.",
                    currency.code().to_ascii_uppercase()
                ),
            });
        }
        let padded = format!("{whole}{frac:0<decimals$}");
        let amount_minor: i64 = padded
            .parse()
            .map_err(|_| format!("'{}' is too large.", raw.trim()))?;
        if amount_minor > 99_999_999 {
            return Err("Stripe accepts at most 99,999,999 in minor units per price.".into());
        }
        Ok(Self::new(amount_minor, currency))
    }

    /// The amount without a symbol, as an input field shows it ("29.00", "500").
    pub fn major_string(&self) -> String {
        let decimals = self.currency.decimals();
        if decimals == 0 {
            return self.amount_minor.to_string();
        }
        let unit = 10i64.pow(decimals);
        format!(
            "{}.{:0width$}",
            self.amount_minor / unit,
            (self.amount_minor % unit).abs(),
            width = decimals as usize
        )
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let decimals = self.currency.decimals();
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let abs = self.amount_minor.unsigned_abs();
        let unit = 10u64.pow(decimals);
        let whole = group_thousands(abs / unit);
        let number = if decimals == 0 {
            whole
        } else {
            format!("{whole}.{:0width$}", abs % unit, width = decimals as usize)
        };
        match self.currency.symbol() {
            Some(symbol) => write!(f, "{sign}{symbol}{number}"),
            None => write!(
                f,
                "{sign}{number} {}",
                self.currency.code().to_ascii_uppercase()
            ),
        }
    }
}

/// "1234567" -> "1,234,567": the whole units as an English-language reader expects them.
fn group_thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(amount: i64, code: &str) -> String {
        Money::new(amount, Currency::parse(code).expect("valid code")).to_string()
    }

    #[test]
    fn two_decimal_currencies_show_cents() {
        assert_eq!(money(900, "usd"), "$9.00");
        assert_eq!(money(12345, "EUR"), "€123.45");
        assert_eq!(money(5, "gbp"), "£0.05");
    }

    #[test]
    fn zero_decimal_currencies_show_whole_units() {
        assert_eq!(money(500, "jpy"), "¥500");
        assert_eq!(money(1000, "krw"), "1,000 KRW");
        assert_eq!(money(150_000, "jpy"), "¥150,000");
    }

    #[test]
    fn three_decimal_currencies_show_thousandths() {
        assert_eq!(money(1500, "kwd"), "1.500 KWD");
        assert_eq!(money(12_500_000, "kwd"), "12,500.000 KWD");
    }

    #[test]
    fn negative_amounts_keep_their_sign_before_the_symbol() {
        assert_eq!(money(-250, "usd"), "-$2.50");
        assert_eq!(money(-129_999, "usd"), "-$1,299.99");
    }

    #[test]
    fn whole_units_are_grouped_in_thousands() {
        assert_eq!(money(0, "usd"), "$0.00");
        assert_eq!(money(99_999, "usd"), "$999.99");
        assert_eq!(money(100_000, "usd"), "$1,000.00");
        assert_eq!(money(129_900, "usd"), "$1,299.00");
        assert_eq!(money(123_456_789, "eur"), "€1,234,567.89");
        assert_eq!(money(i64::MIN, "jpy"), "-¥9,223,372,036,854,775,808");
    }

    fn parse(raw: &str, code: &str) -> Result<i64, String> {
        Money::parse_major(raw, Currency::parse(code).expect("valid code")).map(|m| m.amount_minor)
    }

    #[test]
    fn typed_amounts_become_exact_minor_units() {
        assert_eq!(parse("29", "usd"), Ok(2900));
        assert_eq!(parse("29.5", "usd"), Ok(2950));
        assert_eq!(parse("0.07", "eur"), Ok(7));
        assert_eq!(parse("1,299.99", "usd"), Ok(129999));
        assert_eq!(parse("500", "jpy"), Ok(500));
        assert_eq!(parse("1.5", "kwd"), Ok(1500));
    }

    #[test]
    fn bad_amounts_are_refused_with_a_reason() {
        assert!(parse("", "usd").is_err());
        assert!(parse("-5", "usd").is_err());
        assert!(parse("1e3", "usd").is_err());
        assert!(parse("9.999", "usd").is_err());
        assert_eq!(
            parse("500.5", "jpy"),
            Err("JPY has no minor unit: give a whole amount.".into())
        );
        assert!(parse("100000000", "usd").is_err());
    }

    #[test]
    fn major_strings_round_trip() {
        for (raw, code) in [("29.00", "usd"), ("500", "jpy"), ("1.500", "kwd")] {
            let c = Currency::parse(code).expect("valid code");
            assert_eq!(
                Money::parse_major(raw, c).expect("valid").major_string(),
                raw
            );
        }
    }

    #[test]
    fn currency_codes_must_be_three_letters() {
        assert!(Currency::parse("us").is_err());
        assert!(Currency::parse("usd1").is_err());
        assert!(Currency::parse("u$d").is_err());
        assert_eq!(
            Currency::parse(" USD ").map(|c| c.code().to_owned()),
            Ok("usd".into())
        );
    }
}
