//! A Stripe object ID that cannot change the shape of a request.
//!
//! Stripe IDs are a lower-case type prefix, an underscore and an alphanumeric tail
//! (`cus_NffrFeUfNV2Hib`, `txi_1NuMB12eZvKYlo2C`). A few carry more underscores: Checkout
//! Sessions (`cs_test_a1B2...`), Stripe's test tokens (`pm_card_visa`). Nothing in an ID may be
//! a character a URL gives meaning to (`/`, `?`, `#`, `%`, `.`), whitespace or a control
//! character, so an ID spliced into `/customers/{id}` stays one path segment naming one object.
//! Paydesk builds Stripe paths only from this type (`server::stripe::StripePath`).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest ID accepted; Stripe's own are far shorter.
pub const MAX_STRIPE_ID_LEN: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StripeId(String);

/// Why a string is not a Stripe ID. Deliberately says nothing about the input itself, so it
/// can be logged or shown without echoing what a caller sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StripeIdError {
    #[error("a Stripe ID is at most {MAX_STRIPE_ID_LEN} characters")]
    TooLong,
    #[error("a Stripe ID starts with a lower-case type prefix and an underscore")]
    NoPrefix,
    #[error("a Stripe ID holds only letters, digits and underscores")]
    BadCharacter,
    #[error("this is not the kind of Stripe object expected here")]
    WrongPrefix,
}

impl StripeId {
    /// Any well-formed Stripe ID: `[a-z]+_` then letters, digits and single underscores,
    /// ending in a letter or digit.
    pub fn parse(s: &str) -> Result<Self, StripeIdError> {
        if s.len() > MAX_STRIPE_ID_LEN {
            return Err(StripeIdError::TooLong);
        }
        let (prefix, tail) = s.split_once('_').ok_or(StripeIdError::NoPrefix)?;
        if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(StripeIdError::NoPrefix);
        }
        if tail.is_empty()
            || !tail.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            || tail.starts_with('_')
            || tail.ends_with('_')
            || tail.contains("__")
        {
            return Err(StripeIdError::BadCharacter);
        }
        Ok(Self(s.to_owned()))
    }

    /// A Stripe ID of one kind: `parse_prefixed("txi", s)` accepts `txi_...` only.
    /// `parse_prefixed("cs", s)` accepts `cs_test_...` and `cs_live_...`.
    pub fn parse_prefixed(prefix: &str, s: &str) -> Result<Self, StripeIdError> {
        let id = Self::parse(s)?;
        if id.prefix() == prefix {
            Ok(id)
        } else {
            Err(StripeIdError::WrongPrefix)
        }
    }

    /// The type prefix, `txi` for `txi_123`.
    pub fn prefix(&self) -> &str {
        self.0.split_once('_').map_or("", |(prefix, _)| prefix)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StripeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for StripeId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for StripeId {
    type Err = StripeIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for StripeId {
    type Error = StripeIdError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<StripeId> for String {
    fn from(id: StripeId) -> Self {
        id.0
    }
}

impl PartialEq<str> for StripeId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for StripeId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_stripe_ids_parse() {
        for id in [
            "cus_NffrFeUfNV2Hib",
            "sub_1MowQVLkdIwHu7ixeRlqHVzs",
            "pi_3MtwBwLkdIwHu7ix28a3tqPa",
            "pm_1NXWRJ2eZvKYlo2CNo2u0MDy",
            "txi_1NuMB12eZvKYlo2C5vrU7a1n",
            "in_1MtHbELkdIwHu7ixl4OzzPMv",
            "ch_3MmlLrLkdIwHu7ix0snN0B15",
            "re_1Nispe2eZvKYlo2Cd31jOCgZ",
            "cs_test_a11YYufWQzNY63zpQ6QSNRQhkUpVph4WRmzW0zWJO2znZKdVujZ0N0S22u",
            "evt_1NG8Du2eZvKYlo2CUI79vXWy",
            "price_1MoBy5LkdIwHu7ixZhnattbh",
            "prod_NWjs8kKbJWmuuc",
            "we_1Mr5jULkdIwHu7ix1ibLTM0x",
            "bps_1MrSjzLkdIwHu7ixex0IvU9b",
            "seti_1Mm8s8LkdIwHu7ix0OXBfTRG",
            "card_1MvoiELkdIwHu7ixOeFGbN9D",
            "pm_card_visa",
            "pm_card_chargeDeclined",
        ] {
            assert_eq!(StripeId::parse(id).map(String::from), Ok(id.to_owned()));
        }
    }

    #[test]
    fn anything_that_could_steer_a_url_is_refused() {
        for bad in [
            "",
            "txi_",
            "_abc",
            "txi",
            "TXI_abc",
            "txi_x/../../../../customers/cus_OTHER",
            "txi_x?x=1",
            "txi_x#frag",
            "txi_x%2F..",
            "txi_a.b",
            "txi_a b",
            "txi_a\tb",
            "txi_a\nb",
            "txi_a\u{0}",
            "txi_a-b",
            "txi_ä",
            "txi__a",
            "txi_a_",
            "1_abc",
            "tx-i_abc",
        ] {
            assert!(StripeId::parse(bad).is_err(), "{bad:?}");
        }
        let long = format!("txi_{}", "a".repeat(MAX_STRIPE_ID_LEN));
        assert_eq!(StripeId::parse(&long), Err(StripeIdError::TooLong));
    }

    #[test]
    fn the_prefix_must_be_the_one_asked_for() {
        assert!(StripeId::parse_prefixed("txi", "txi_123").is_ok());
        assert_eq!(
            StripeId::parse_prefixed("txi", "cus_123"),
            Err(StripeIdError::WrongPrefix)
        );
        assert_eq!(
            StripeId::parse_prefixed("cs", "cs_test_a1b2")
                .map(|id| id.prefix().to_owned())
                .as_deref(),
            Ok("cs")
        );
        assert!(StripeId::parse_prefixed("pm", "pm_card_visa").is_ok());
    }

    #[test]
    fn it_round_trips_through_serde_and_refuses_bad_input() {
        let id: StripeId = serde_json::from_str("\"pi_123\"").expect("valid");
        assert_eq!(id.as_str(), "pi_123");
        assert_eq!(
            serde_json::to_string(&id).ok().as_deref(),
            Some("\"pi_123\"")
        );
        assert!(serde_json::from_str::<StripeId>("\"pi_1/../x\"").is_err());
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// For any input at all, parsing fails or gives an ID that is one clean path segment.
        #[test]
        fn any_string_parses_to_nothing_or_a_clean_segment(s in any::<String>()) {
            if let Ok(id) = StripeId::parse(&s) {
                prop_assert!(id.as_str().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
                prop_assert!(id.as_str().len() <= MAX_STRIPE_ID_LEN);
                prop_assert_eq!(id.as_str(), s.as_str());
            }
        }

        /// Near misses: ID-shaped strings with one URL-significant character spliced in.
        #[test]
        fn an_id_with_any_url_character_is_refused(
            prefix in "[a-z]{1,6}",
            head in "[A-Za-z0-9]{0,12}",
            bad in prop::sample::select(vec!['/', '?', '#', '%', '.', ' ', '\t', '\n', '\r', '\0', '\\', '&', '=', '+', ':', '@', '-', '\u{7f}', '\u{2028}']),
            tail in "[A-Za-z0-9]{0,12}",
        ) {
            let s = format!("{prefix}_{head}{bad}{tail}");
            prop_assert!(StripeId::parse(&s).is_err(), "{:?}", s);
        }

        #[test]
        fn well_formed_ids_parse_with_their_prefix(prefix in "[a-z]{1,8}", tail in "[A-Za-z0-9]{1,40}") {
            let s = format!("{prefix}_{tail}");
            let id = StripeId::parse_prefixed(&prefix, &s);
            prop_assert!(id.is_ok(), "{:?}", s);
        }
    }
}
