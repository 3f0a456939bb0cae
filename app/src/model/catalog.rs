use super::Money;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductKind {
    Plan,
    TopUp,
    OneTime,
}

impl ProductKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Plan => "Plan",
            Self::TopUp => "Top-up",
            Self::OneTime => "One-time",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Plan => "plan",
            Self::TopUp => "top_up",
            Self::OneTime => "one_time",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "plan" => Some(Self::Plan),
            "top_up" => Some(Self::TopUp),
            "one_time" => Some(Self::OneTime),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanInterval {
    Month,
    Year,
}

impl PlanInterval {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "month" => Some(Self::Month),
            "year" => Some(Self::Year),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Month => "month",
            Self::Year => "year",
        }
    }

    pub fn per(self) -> &'static str {
        match self {
            Self::Month => "/ month",
            Self::Year => "/ year",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceSummary {
    pub amount: Money,
    /// `None` for a one-time price.
    pub interval: Option<PlanInterval>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductSummary {
    pub name: String,
    pub description: String,
    pub kind: ProductKind,
    pub active: bool,
    pub prices: Vec<PriceSummary>,
}

/// A product as the catalog editor sees it: every price, active and archived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductDetail {
    pub id: uuid::Uuid,
    pub kind: ProductKind,
    pub name: String,
    pub description: String,
    pub image_url: String,
    pub active: bool,
    pub stripe_product_id: Option<String>,
    /// Stripe metadata, kept as Stripe has it (top-ups: `accountType`, `interval`).
    pub metadata: std::collections::BTreeMap<String, String>,
    /// Manual Stripe tax rates applied to every purchase (when automatic tax is off).
    pub tax_rate_ids: Vec<String>,
    pub prices: Vec<PriceDetail>,
    pub synced_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl ProductDetail {
    pub fn active_prices(&self) -> impl Iterator<Item = &PriceDetail> {
        self.prices.iter().filter(|p| p.active)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceDetail {
    pub id: uuid::Uuid,
    pub amount: Money,
    pub interval: Option<PlanInterval>,
    pub interval_count: i32,
    pub active: bool,
    pub stripe_price_id: Option<String>,
}

/// Whether Stripe matches Paydesk for one product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", content = "details", rename_all = "snake_case")]
pub enum SyncState {
    InSync,
    /// Never pushed (saved while Stripe was unreachable, or not configured).
    NotPushed,
    /// What differs, one line each.
    OutOfSync(Vec<String>),
    /// Stripe could not be asked.
    Unknown(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductSync {
    pub product_id: uuid::Uuid,
    pub state: SyncState,
}

/// What the product editor posts. Amounts are as typed ("29.00"); the server parses them
/// into minor units of their currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ProductForm {
    #[serde(default)]
    pub id: Option<uuid::Uuid>,
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub image_url: String,
    /// Top-ups: the account type the member gets, and for how many months.
    #[serde(default)]
    pub account_type: String,
    #[serde(default)]
    pub interval_months: String,
    /// One-time products: how many can be sold (event tickets); empty for no limit.
    #[serde(default)]
    pub capacity: String,
    /// Stripe tax rate IDs, separated by commas or spaces.
    #[serde(default)]
    pub tax_rate_ids: String,
    #[serde(default)]
    pub prices: Vec<PriceForm>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PriceForm {
    pub currency: String,
    pub amount: String,
    /// `month`, `year` or `one_time`.
    pub interval: String,
}

/// What "Import from Stripe" did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ImportReport {
    pub products_created: Vec<String>,
    pub prices_linked: usize,
    pub skipped: Vec<String>,
}
