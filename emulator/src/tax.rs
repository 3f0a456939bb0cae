//! A small stand-in for Stripe Tax: whether an address is a location Stripe can tax, and a VAT/GST
//! rate per country for the ones the demo uses. Rates are basis points so amounts stay integers.

use serde_json::{json, Value};

struct Country {
    code: &'static str,
    rate_bp: i64,
    postal_code_ok: fn(&str) -> bool,
}

const fn country(code: &'static str, rate_bp: i64, postal_code_ok: fn(&str) -> bool) -> Country {
    Country {
        code,
        rate_bp,
        postal_code_ok,
    }
}

const COUNTRIES: &[Country] = &[
    country("US", 0, us_zip),
    country("CA", 500, ca_postal),
    country("GB", 2000, non_empty),
    country("IE", 2300, non_empty),
    country("DE", 1900, five_digits),
    country("FR", 2000, five_digits),
    country("ES", 2100, five_digits),
    country("IT", 2200, five_digits),
    country("NL", 2100, nl_postal),
    country("BE", 2100, four_digits),
    country("AT", 2000, four_digits),
    country("CH", 810, four_digits),
    country("SE", 2500, non_empty),
    country("AU", 1000, four_digits),
    country("NZ", 1500, four_digits),
    country("JP", 1000, non_empty),
];

fn non_empty(s: &str) -> bool {
    !s.trim().is_empty()
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.chars().all(|c| c.is_ascii_digit())
}

fn four_digits(s: &str) -> bool {
    digits(s.trim(), 4)
}

fn five_digits(s: &str) -> bool {
    digits(s.trim(), 5)
}

fn us_zip(s: &str) -> bool {
    let s = s.trim();
    match s.split_once('-') {
        Some((zip, plus4)) => digits(zip, 5) && digits(plus4, 4),
        None => digits(s, 5),
    }
}

fn ca_postal(s: &str) -> bool {
    let compact: Vec<char> = s.chars().filter(|c| !c.is_whitespace()).collect();
    compact.len() == 6
        && compact.iter().enumerate().all(|(i, c)| {
            if i % 2 == 0 {
                c.is_ascii_alphabetic()
            } else {
                c.is_ascii_digit()
            }
        })
}

fn nl_postal(s: &str) -> bool {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    compact.len() == 6
        && digits(&compact[..4], 4)
        && compact[4..].chars().all(|c| c.is_ascii_alphabetic())
}

/// Whether Stripe Tax could locate this address: a known country with a postal code of its format.
pub fn location_supported(address: &Value) -> bool {
    let country = address["country"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_uppercase();
    let postal = address["postal_code"].as_str().unwrap_or_default();
    COUNTRIES
        .iter()
        .any(|c| c.code == country && (c.postal_code_ok)(postal))
}

/// The rate charged for a located address, in basis points.
pub fn rate_for(address: &Value) -> Option<i64> {
    if !location_supported(address) {
        return None;
    }
    let country = address["country"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_uppercase();
    COUNTRIES
        .iter()
        .find(|c| c.code == country)
        .map(|c| c.rate_bp)
}

/// A customer's `tax` hash, as returned with `expand[]=tax`.
pub fn customer_tax(address: &Value) -> Value {
    let supported = location_supported(address);
    json!({
        "automatic_tax": if supported { "supported" } else { "unrecognized_location" },
        "ip_address": null,
        "location": if supported {
            json!({
                "country": address["country"].as_str().map(str::to_ascii_uppercase),
                "source": "billing_address",
                "state": address["state"],
            })
        } else {
            Value::Null
        },
        "provider": "stripe",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_addresses_are_supported() {
        assert!(location_supported(
            &json!({"country": "US", "postal_code": "94107"})
        ));
        assert!(location_supported(
            &json!({"country": "DE", "postal_code": "10115"})
        ));
        assert!(location_supported(
            &json!({"country": "nl", "postal_code": "1012 AB"})
        ));
        assert!(location_supported(
            &json!({"country": "CA", "postal_code": "K1A 0B1"})
        ));
    }

    #[test]
    fn malformed_or_unknown_addresses_are_unrecognized() {
        assert!(!location_supported(
            &json!({"country": "US", "postal_code": "9410"})
        ));
        assert!(!location_supported(
            &json!({"country": "DE", "postal_code": null})
        ));
        assert!(!location_supported(
            &json!({"country": "ZZ", "postal_code": "12345"})
        ));
        assert_eq!(
            customer_tax(&json!({}))["automatic_tax"],
            "unrecognized_location"
        );
    }

    #[test]
    fn german_vat_is_nineteen_percent() {
        assert_eq!(
            rate_for(&json!({"country": "DE", "postal_code": "10115"})),
            Some(1900)
        );
    }
}
