//! What the member's billing pages show and send.

use super::{Access, Money, PlanInterval, ProductKind};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One thing a member can buy, with its prices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    pub name: String,
    pub description: String,
    pub kind: ProductKind,
    pub prices: Vec<OfferPrice>,
    /// Tickets: seats left, when the product has a capacity.
    pub remaining: Option<i64>,
    /// Days of free trial a first subscription to this plan starts with.
    pub trial_days: Option<u32>,
    /// Top-ups: what one buys ("Pro for 3 months").
    pub grants: Option<String>,
}

impl Offer {
    pub fn sold_out(&self) -> bool {
        self.remaining.is_some_and(|n| n <= 0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferPrice {
    /// Stripe's price ID: the only thing the browser sends back to buy.
    pub price_id: String,
    pub amount: Money,
    pub interval: Option<PlanInterval>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlansPage {
    pub offers: Vec<Offer>,
    /// "plus tax", "tax included" or empty, per the settings.
    pub tax_note: String,
    /// The member's current subscription and its price, if any.
    pub subscription_id: Option<String>,
    pub current_price_id: Option<String>,
    /// The currency the member pays in (their subscription's), when known.
    pub currency: Option<String>,
}

/// A card as the member sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    pub id: String,
    pub brand: String,
    pub last4: String,
    pub exp_month: i64,
    pub exp_year: i64,
    pub is_default: bool,
}

impl Card {
    pub fn label(&self) -> String {
        format!(
            "{} ending {} (expires {:02}/{})",
            capitalise(&self.brand),
            self.last4,
            self.exp_month,
            self.exp_year
        )
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The member's subscription as Stripe has it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSubscription {
    pub id: String,
    pub product: String,
    pub price_id: String,
    pub status: String,
    pub amount: Money,
    pub interval: Option<PlanInterval>,
    pub current_period_end: Option<DateTime<Utc>>,
    pub cancel_at_period_end: bool,
    pub trial_end: Option<DateTime<Utc>>,
    pub card: Option<Card>,
    /// A change waiting for its payment (`pending_if_incomplete`), named by its product.
    pub pending_change: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberOverview {
    pub name: String,
    pub email: String,
    pub member_since: DateTime<Utc>,
    pub access: Access,
    pub subscription: Option<MemberSubscription>,
    /// Set when the subscription could only be read from Paydesk's copy (Stripe unreachable).
    pub notice: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewLine {
    pub description: String,
    pub amount: Money,
}

/// What switching to another price would cost, before the member confirms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangePreview {
    pub price_id: String,
    pub product: String,
    pub interval: Option<PlanInterval>,
    pub lines: Vec<PreviewLine>,
    pub tax: Money,
    pub amount_due: Money,
    /// Charged at once (a new interval starts now) or with the next renewal on `date`.
    pub charged_now: bool,
    pub date: Option<DateTime<Utc>>,
}

/// Where the browser goes next (Stripe Checkout, the portal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redirect {
    pub url: String,
}

/// The success page's question: has Paydesk heard from Stripe yet?
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutStatus {
    /// What was bought ("Pro", "Conference ticket"); "a new card" for a setup.
    pub bought: String,
    pub kind: String,
    /// True once the webhook has been applied; until then access is pending.
    pub confirmed: bool,
    pub access: Access,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AddressForm {
    pub line1: String,
    #[serde(default)]
    pub line2: String,
    pub city: String,
    #[serde(default)]
    pub state: String,
    pub postal_code: String,
    pub country: String,
}

/// Stripe Tax's verdict on the member's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaxLocation {
    Verified,
    NotRecognised,
    Missing,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxIdView {
    pub id: String,
    /// Stripe's type, e.g. `eu_vat`.
    pub kind: String,
    pub value: String,
    /// `verified`, `pending`, `unverified`, `unavailable`.
    pub verification: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressPage {
    pub address: AddressForm,
    pub location: TaxLocation,
    /// What Paydesk does about it, per the tax billing behaviour (empty when verified).
    pub consequence: String,
    pub tax_ids: Vec<TaxIdView>,
}

/// Tax ID types members may add, with an example for the form.
pub const TAX_ID_TYPES: &[(&str, &str, &str)] = &[
    ("eu_vat", "EU VAT", "DE123456789"),
    ("gb_vat", "UK VAT", "GB123456789"),
    ("ch_vat", "Swiss VAT", "CHE-123.456.789 MWST"),
    ("au_abn", "Australian ABN", "12345678912"),
    ("ca_bn", "Canadian BN", "123456789"),
    ("us_ein", "US EIN", "12-3456789"),
];

/// Checks a Tax ID's shape before Stripe is asked; Stripe verifies it further.
pub fn check_tax_id(kind: &str, value: &str) -> Result<String, String> {
    let compact: String = value
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let ok = match kind {
        "eu_vat" => {
            compact.len() >= 8
                && compact.len() <= 14
                && compact[..2].chars().all(|c| c.is_ascii_alphabetic())
                && compact[2..].chars().all(|c| c.is_ascii_alphanumeric())
                && compact[2..].chars().any(|c| c.is_ascii_digit())
        }
        "gb_vat" => {
            compact.starts_with("GB")
                && matches!(compact.len(), 11 | 14)
                && compact[2..].chars().all(|c| c.is_ascii_digit())
        }
        "ch_vat" => compact.starts_with("CHE-") || compact.starts_with("CHE"),
        "au_abn" => compact.len() == 11 && compact.chars().all(|c| c.is_ascii_digit()),
        "ca_bn" => compact.len() == 9 && compact.chars().all(|c| c.is_ascii_digit()),
        "us_ein" => {
            let digits: String = compact.chars().filter(|c| *c != '-').collect();
            digits.len() == 9 && digits.chars().all(|c| c.is_ascii_digit())
        }
        _ => return Err("Choose a Tax ID type from the list.".into()),
    };
    if ok {
        Ok(compact)
    } else {
        let example = TAX_ID_TYPES
            .iter()
            .find(|(k, _, _)| *k == kind)
            .map(|(_, _, e)| *e)
            .unwrap_or_default();
        Err(format!(
            "That does not look like a valid number; for example {example}."
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eu_vat_numbers_are_checked_for_shape() {
        assert_eq!(
            check_tax_id("eu_vat", "de 123 456 789"),
            Ok("DE123456789".into())
        );
        assert!(check_tax_id("eu_vat", "123456789").is_err());
        assert!(check_tax_id("eu_vat", "DE").is_err());
        assert!(check_tax_id("gb_vat", "GB123456789").is_ok());
        assert!(check_tax_id("gb_vat", "DE123456789").is_err());
        assert!(check_tax_id("xx_vat", "1").is_err());
    }

    #[test]
    fn a_card_reads_as_brand_and_last_four() {
        let card = Card {
            id: "pm_1".into(),
            brand: "visa".into(),
            last4: "4242".into(),
            exp_month: 4,
            exp_year: 2030,
            is_default: true,
        };
        assert_eq!(card.label(), "Visa ending 4242 (expires 04/2030)");
    }
}
