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
