//! What a subscription brings in over a year, the figure MRR is summed from. Kept apart from
//! I/O so the rules (intervals normalised, discounts applied, never below zero) are tested
//! on their own.

use chrono::{DateTime, Utc};
use serde_json::Value;

/// One subscription item's price, as far as a year's amount needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecurringItem {
    pub unit_amount: i64,
    pub quantity: i64,
    pub interval: String,
    pub interval_count: i64,
}

impl RecurringItem {
    /// The items of a subscription object; items without a recurring price are left out.
    pub fn all_of(subscription: &Value) -> Vec<Self> {
        subscription["items"]["data"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| {
                        let price = &item["price"];
                        Some(Self {
                            unit_amount: price["unit_amount"].as_i64()?,
                            quantity: item["quantity"].as_i64().unwrap_or(1),
                            interval: price["recurring"]["interval"].as_str()?.to_owned(),
                            interval_count: price["recurring"]["interval_count"]
                                .as_i64()
                                .unwrap_or(1)
                                .max(1),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Invoices a year at this item's interval, as a fraction (numerator, denominator).
    fn per_year(&self) -> (i64, i64) {
        let times = match self.interval.as_str() {
            "day" => 365,
            "week" => 52,
            "month" => 12,
            _ => 1,
        };
        (times, self.interval_count)
    }

    fn annual(&self) -> i64 {
        let (times, every) = self.per_year();
        self.unit_amount
            .saturating_mul(self.quantity)
            .saturating_mul(times)
            / every
    }
}

/// A coupon's terms as they apply to a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscountTerms {
    pub id: String,
    /// Hundredths of a percent: 25.5% is 2550. Stripe sends a JSON number with at most two
    /// decimals; it is read as text so no float ever touches an amount.
    pub percent_off_bp: Option<i64>,
    /// Taken off each invoice, in minor units of `currency`.
    pub amount_off: Option<i64>,
    pub currency: Option<String>,
    pub ends_at: Option<DateTime<Utc>>,
}

impl DiscountTerms {
    /// A discount object with its coupon expanded: `source.coupon` (API versions from 2025)
    /// or `coupon` (older ones). `None` when the coupon is not there to read.
    pub fn read(discount: &Value) -> Option<Self> {
        let coupon = if discount["source"]["coupon"].is_object() {
            &discount["source"]["coupon"]
        } else if discount["coupon"].is_object() {
            &discount["coupon"]
        } else {
            return None;
        };
        Some(Self {
            id: discount["id"].as_str()?.to_owned(),
            percent_off_bp: match &coupon["percent_off"] {
                Value::Number(n) => basis_points(&n.to_string()),
                _ => None,
            },
            amount_off: coupon["amount_off"].as_i64(),
            currency: coupon["currency"].as_str().map(str::to_owned),
            ends_at: discount["end"]
                .as_i64()
                .and_then(|s| DateTime::from_timestamp(s, 0)),
        })
    }
}

/// "25.5" -> 2550, "10" -> 1000; anything else (more than two decimals, not a number) -> None.
fn basis_points(percent: &str) -> Option<i64> {
    let (whole, fraction) = percent.split_once('.').unwrap_or((percent, ""));
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > 2 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let cents: i64 = format!("{fraction:0<2}").parse().ok()?;
    Some(whole * 100 + cents)
}

/// The subscription's amount over a year in minor units, after the discounts that still apply
/// at `now`. An amount-off coupon comes off each invoice, so it is counted once per invoice of
/// the year; in another currency than the subscription's it does not apply (Stripe refuses it).
pub fn annual_amount(
    items: &[RecurringItem],
    currency: Option<&str>,
    discounts: &[DiscountTerms],
    now: DateTime<Utc>,
) -> i64 {
    let gross: i64 = items.iter().map(RecurringItem::annual).sum();
    let invoices_a_year = items.first().map_or((12, 1), RecurringItem::per_year);
    let mut net = gross;
    for discount in discounts
        .iter()
        .filter(|d| d.ends_at.is_none_or(|end| end > now))
    {
        if let Some(bp) = discount.percent_off_bp {
            net -= gross.saturating_mul(bp.clamp(0, 10_000)) / 10_000;
        } else if let Some(off) = discount.amount_off {
            if discount.currency.as_deref() == currency {
                net -= off.saturating_mul(invoices_a_year.0) / invoices_a_year.1;
            }
        }
    }
    net.max(0)
}

/// A year's amount as a month's, rounded half up: the dashboard's MRR.
pub fn monthly(annual: i64) -> i64 {
    (annual + 6).div_euclid(12)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(unit_amount: i64, interval: &str, count: i64) -> RecurringItem {
        RecurringItem {
            unit_amount,
            quantity: 1,
            interval: interval.into(),
            interval_count: count,
        }
    }

    fn percent(bp: i64) -> DiscountTerms {
        DiscountTerms {
            id: "di_1".into(),
            percent_off_bp: Some(bp),
            amount_off: None,
            currency: None,
            ends_at: None,
        }
    }

    #[test]
    fn monthly_and_yearly_prices_are_normalised_to_a_year() {
        let now = Utc::now();
        assert_eq!(
            annual_amount(&[item(1_000, "month", 1)], Some("eur"), &[], now),
            12_000
        );
        assert_eq!(
            annual_amount(&[item(9_999, "year", 1)], Some("eur"), &[], now),
            9_999
        );
        assert_eq!(
            annual_amount(&[item(3_000, "month", 3)], Some("eur"), &[], now),
            12_000
        );
        assert_eq!(monthly(12_000 + 9_999), 1_833);
    }

    #[test]
    fn quantity_multiplies_and_zero_decimal_currencies_need_no_care() {
        let mut seats = item(500, "month", 1);
        seats.quantity = 3;
        assert_eq!(
            annual_amount(&[seats], Some("jpy"), &[], Utc::now()),
            18_000
        );
    }

    #[test]
    fn percent_and_amount_discounts_come_off_until_they_end() {
        let now = Utc::now();
        let items = [item(2_000, "month", 1)];
        assert_eq!(
            annual_amount(&items, Some("usd"), &[percent(2_550)], now),
            17_880
        );
        let five_off = DiscountTerms {
            id: "di_2".into(),
            percent_off_bp: None,
            amount_off: Some(500),
            currency: Some("usd".into()),
            ends_at: Some(now + chrono::Duration::days(30)),
        };
        assert_eq!(
            annual_amount(&items, Some("usd"), std::slice::from_ref(&five_off), now),
            18_000
        );
        let ended = DiscountTerms {
            ends_at: Some(now - chrono::Duration::days(1)),
            ..five_off.clone()
        };
        assert_eq!(annual_amount(&items, Some("usd"), &[ended], now), 24_000);
        let other_currency = DiscountTerms {
            currency: Some("eur".into()),
            ..five_off
        };
        assert_eq!(
            annual_amount(&items, Some("usd"), &[other_currency], now),
            24_000
        );
        assert_eq!(
            annual_amount(&items, Some("usd"), &[percent(10_000), percent(5_000)], now),
            0
        );
    }

    #[test]
    fn coupons_are_read_in_both_api_shapes_without_floats() {
        let clover = json!({"id": "di_1", "end": null,
            "source": {"type": "coupon", "coupon": {"percent_off": 25.5, "amount_off": null}}});
        assert_eq!(
            DiscountTerms::read(&clover).expect("coupon").percent_off_bp,
            Some(2_550)
        );
        let legacy = json!({"id": "di_2", "end": 1_900_000_000,
            "coupon": {"percent_off": null, "amount_off": 500, "currency": "usd"}});
        let terms = DiscountTerms::read(&legacy).expect("coupon");
        assert_eq!(
            (terms.amount_off, terms.currency.as_deref()),
            (Some(500), Some("usd"))
        );
        assert!(DiscountTerms::read(&json!({"id": "di_3", "source": {"coupon": "c_1"}})).is_none());
        assert_eq!(basis_points("10"), Some(1_000));
        assert_eq!(basis_points("12.345"), None);
    }
}
