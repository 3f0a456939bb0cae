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

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let decimals = self.currency.decimals();
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let abs = self.amount_minor.unsigned_abs();
        let number = if decimals == 0 {
            abs.to_string()
        } else {
            let unit = 10u64.pow(decimals);
            format!(
                "{}.{:0width$}",
                abs / unit,
                abs % unit,
                width = decimals as usize
            )
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
        assert_eq!(money(1000, "krw"), "1000 KRW");
    }

    #[test]
    fn three_decimal_currencies_show_thousandths() {
        assert_eq!(money(1500, "kwd"), "1.500 KWD");
    }

    #[test]
    fn negative_amounts_keep_their_sign_before_the_symbol() {
        assert_eq!(money(-250, "usd"), "-$2.50");
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
