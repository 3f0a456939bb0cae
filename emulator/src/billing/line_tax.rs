//! Tax on one line: the manual tax rates it names (`tax_rates`, `default_tax_rates`), or else the
//! rate of the emulator's automatic tax. Both go through the same arithmetic, so a line's `taxes`,
//! an invoice's `total_taxes` and a session's `amount_tax` always agree.

use serde_json::Value;

use crate::money::parse_basis_points;

/// One rate as it applies to a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRate {
    /// `None` for automatic tax: its `txr_emulator_…` id depends on the customer's country, which
    /// is only known when the invoice is made.
    pub id: Option<String>,
    pub bp: i64,
    pub inclusive: bool,
}

impl LineRate {
    /// A stored `tax_rate` object; `None` if it has no readable percentage.
    pub fn from_object(rate: &Value) -> Option<Self> {
        let bp = rate["percentage"]
            .as_number()
            .and_then(|n| parse_basis_points(&n.to_string()))?;
        Some(LineRate {
            id: rate["id"].as_str().map(str::to_owned),
            bp,
            inclusive: rate["inclusive"] == true,
        })
    }

    /// Automatic tax: the price's `tax_behavior` says whether the tax is inside its amount. A 0%
    /// location (a US sale without nexus) gives no rate at all, as Stripe lists no tax then.
    pub fn automatic(price: &Value, bp: Option<i64>) -> Option<Self> {
        bp.filter(|bp| *bp > 0).map(|bp| LineRate {
            id: None,
            bp,
            inclusive: price["tax_behavior"] == "inclusive",
        })
    }
}

/// The rates each line is taxed at: its own manual rates if it has any, else automatic tax.
pub fn rates_per_line(
    prices: &[&Value],
    manual: &[Vec<LineRate>],
    automatic_bp: Option<i64>,
) -> Vec<Vec<LineRate>> {
    prices
        .iter()
        .enumerate()
        .map(|(i, price)| match manual.get(i).filter(|m| !m.is_empty()) {
            Some(rates) => rates.clone(),
            None => LineRate::automatic(price, automatic_bp)
                .into_iter()
                .collect(),
        })
        .collect()
}

/// The manual rates of stored `tax_rate` objects, skipping any without a percentage.
pub fn from_objects(rates: &Value) -> Vec<LineRate> {
    rates
        .as_array()
        .map(|all| all.iter().filter_map(LineRate::from_object).collect())
        .unwrap_or_default()
}

/// What one rate charged on one line.
#[derive(Debug, Clone)]
pub struct LineTax {
    pub rate: LineRate,
    pub amount: i64,
    /// The amount the rate was applied to: the line itself for exclusive rates, the line less the
    /// tax inside it for inclusive ones (Stripe's `taxable_amount`).
    pub taxable: i64,
}

/// Tax on `amount` (already discounted). Exclusive: `amount * bp / 10000`; inclusive: the part
/// of `amount` that is tax, `amount * bp / (10000 + bp)`. Both round half away from zero, so a
/// credit (negative proration) mirrors the charge it reverses.
pub fn tax_on(amount: i64, rate: &LineRate) -> LineTax {
    let divisor = if rate.inclusive {
        10_000 + rate.bp
    } else {
        10_000
    };
    let numerator = i128::from(amount) * i128::from(rate.bp);
    let divisor = i128::from(divisor);
    let half = divisor / 2;
    let rounded = if numerator >= 0 {
        (numerator + half) / divisor
    } else {
        (numerator - half) / divisor
    };
    let tax = i64::try_from(rounded).unwrap_or(0);
    LineTax {
        rate: rate.clone(),
        amount: tax,
        taxable: if rate.inclusive { amount - tax } else { amount },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(bp: i64, inclusive: bool) -> LineRate {
        LineRate {
            id: Some("txr_1".into()),
            bp,
            inclusive,
        }
    }

    #[test]
    fn exclusive_and_inclusive_tax_round_half_up() {
        assert_eq!(tax_on(1000, &rate(1900, false)).amount, 190);
        assert_eq!(tax_on(1190, &rate(1900, true)).amount, 190);
        assert_eq!(tax_on(1190, &rate(1900, true)).taxable, 1000);
        // 1000 * 7.25% = 72.5 -> 73
        assert_eq!(tax_on(1000, &rate(725, false)).amount, 73);
        assert_eq!(tax_on(-1000, &rate(725, false)).amount, -73);
        // 1000 * 2000 / 12000 = 166.67 -> 167
        assert_eq!(tax_on(1000, &rate(2000, true)).amount, 167);
    }

    #[test]
    fn rates_are_read_from_tax_rate_objects() {
        let object = serde_json::json!({"id": "txr_1", "percentage": 7.25, "inclusive": false});
        assert_eq!(LineRate::from_object(&object), Some(rate(725, false)));
    }
}
