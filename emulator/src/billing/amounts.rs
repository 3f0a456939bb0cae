//! Money and time arithmetic for billing: period boundaries, totals and tax.

use chrono::{DateTime, Months, Utc};
use serde_json::Value;

#[cfg(test)]
use super::line_tax::rates_per_line;
use super::line_tax::{tax_on, LineRate, LineTax};
use crate::state::State;

/// Smart-retry stand-in: failed renewals are retried this often, this many times, then the
/// subscription is cancelled (Stripe's default dunning outcome).
pub const RETRY_INTERVAL: i64 = 3 * 24 * 3600;

pub const MAX_PAYMENT_ATTEMPTS: i64 = 4;

/// `anchor + n * (interval_count interval)`, clamping to month ends the way Stripe does
/// (a Jan 31 anchor renews Feb 28, then Mar 31).
pub fn period_boundary(anchor: i64, interval: &str, count: i64, n: i64) -> i64 {
    let steps = count.saturating_mul(n);
    let Some(start) = DateTime::<Utc>::from_timestamp(anchor, 0) else {
        return anchor;
    };
    let shifted = match interval {
        "day" => Some(start + chrono::Duration::days(steps)),
        "week" => Some(start + chrono::Duration::weeks(steps)),
        "month" => u32::try_from(steps)
            .ok()
            .and_then(|m| start.checked_add_months(Months::new(m))),
        _ => u32::try_from(steps.saturating_mul(12))
            .ok()
            .and_then(|m| start.checked_add_months(Months::new(m))),
    };
    shifted.map(|d| d.timestamp()).unwrap_or(anchor)
}

/// What the current period's items cost, the discount off it, and the tax on what remains.
pub struct Amounts {
    pub subtotal: i64,
    pub discount: i64,
    pub tax: i64,
    pub total: i64,
    /// The discount's share of each line, in line order, for `discount_amounts`.
    pub line_discounts: Vec<i64>,
    /// What each rate charged on each line, in line order, for `taxes` and `total_taxes`.
    pub line_taxes: Vec<Vec<LineTax>>,
}

/// Exclusive prices add tax on top; inclusive prices carry it inside the amount.
#[cfg(test)]
pub fn compute_amounts(lines: &[(Value, i64)], tax_rate_bp: Option<i64>) -> Amounts {
    compute_with_discount(lines, tax_rate_bp, None)
}

/// As [`compute_amounts`], with a coupon taken off before tax, as Stripe taxes the discounted amount.
#[cfg(test)]
pub fn compute_with_discount(
    lines: &[(Value, i64)],
    tax_rate_bp: Option<i64>,
    coupon: Option<&Value>,
) -> Amounts {
    let prices: Vec<&Value> = lines.iter().map(|(price, _)| price).collect();
    compute_taxed(lines, &rates_per_line(&prices, &[], tax_rate_bp), coupon)
}

/// Totals with each line taxed at its own rates (`rates[i]` for line `i`): manual rates or
/// automatic tax. Exclusive rates add to the total, inclusive ones are already inside it.
pub fn compute_taxed(
    lines: &[(Value, i64)],
    rates: &[Vec<LineRate>],
    coupon: Option<&Value>,
) -> Amounts {
    let gross: Vec<i64> = lines
        .iter()
        .map(|(price, quantity)| {
            price["unit_amount"]
                .as_i64()
                .unwrap_or(0)
                .saturating_mul(*quantity)
        })
        .collect();
    let subtotal: i64 = gross.iter().sum();
    let discount = coupon.map_or(0, |c| coupon_discount(c, subtotal));
    let line_discounts = allocate(&gross, discount);
    let mut tax = 0;
    let mut total = 0;
    let mut line_taxes = Vec::with_capacity(lines.len());
    for (i, (amount, off)) in gross.iter().zip(&line_discounts).enumerate() {
        let amount = amount - off;
        let taxes: Vec<LineTax> = rates
            .get(i)
            .map(|r| r.iter().map(|rate| tax_on(amount, rate)).collect())
            .unwrap_or_default();
        let on_top: i64 = taxes
            .iter()
            .filter(|t| !t.rate.inclusive)
            .map(|t| t.amount)
            .sum();
        tax += taxes.iter().map(|t| t.amount).sum::<i64>();
        total += amount + on_top;
        line_taxes.push(taxes);
    }
    Amounts {
        subtotal,
        discount,
        tax,
        total,
        line_discounts,
        line_taxes,
    }
}

/// What a coupon takes off `subtotal`: a percentage or a fixed amount, never more than there is.
pub fn coupon_discount(coupon: &Value, subtotal: i64) -> i64 {
    if subtotal <= 0 {
        return 0;
    }
    let off = match coupon["amount_off"].as_i64() {
        Some(amount) => amount,
        None => coupon["percent_off"]
            .as_number()
            .and_then(|n| crate::money::parse_basis_points(&n.to_string()))
            .map_or(0, |bp| crate::money::percentage(subtotal, bp)),
    };
    off.clamp(0, subtotal)
}

/// Spreads `discount` over the positive lines in proportion to their amounts; the rounding
/// remainder goes to the last of them, so the shares add up exactly.
fn allocate(amounts: &[i64], discount: i64) -> Vec<i64> {
    let base: i64 = amounts.iter().filter(|a| **a > 0).sum();
    let mut shares: Vec<i64> = amounts
        .iter()
        .map(|a| {
            if *a > 0 && base > 0 {
                let share = i128::from(discount) * i128::from(*a) / i128::from(base);
                i64::try_from(share).unwrap_or(0)
            } else {
                0
            }
        })
        .collect();
    let rest = discount - shares.iter().sum::<i64>();
    if let Some(last) = amounts.iter().rposition(|a| *a > 0) {
        shares[last] += rest;
    }
    shares
}

/// The tax rate to apply for a customer, when automatic tax is on and Stripe Tax is switched on.
pub fn tax_rate_for_customer(
    state: &State,
    customer: Option<&str>,
    automatic_tax: bool,
) -> Option<i64> {
    if !automatic_tax || !state.tax_enabled {
        return None;
    }
    let address = customer
        .and_then(|c| state.customers.get(c))
        .map(|c| c["address"].clone())?;
    crate::tax::rate_for(&address)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn monthly_periods_clamp_to_month_end_and_recover() {
        let jan31 = DateTime::parse_from_rfc3339("2025-01-31T10:00:00Z")
            .map(|d| d.timestamp())
            .unwrap_or_default();
        let feb = period_boundary(jan31, "month", 1, 1);
        let mar = period_boundary(jan31, "month", 1, 2);
        assert_eq!(
            DateTime::<Utc>::from_timestamp(feb, 0).map(|d| d.to_rfc3339()),
            Some("2025-02-28T10:00:00+00:00".into())
        );
        assert_eq!(
            DateTime::<Utc>::from_timestamp(mar, 0).map(|d| d.to_rfc3339()),
            Some("2025-03-31T10:00:00+00:00".into())
        );
    }

    #[test]
    fn exclusive_tax_is_added_and_inclusive_tax_is_carved_out() {
        let exclusive = json!({"unit_amount": 1000, "tax_behavior": "exclusive"});
        let a = compute_amounts(&[(exclusive, 2)], Some(1900));
        assert_eq!((a.subtotal, a.tax, a.total), (2000, 380, 2380));
        let inclusive = json!({"unit_amount": 1190, "tax_behavior": "inclusive"});
        let b = compute_amounts(&[(inclusive, 1)], Some(1900));
        assert_eq!((b.subtotal, b.tax, b.total), (1190, 190, 1190));
    }

    #[test]
    fn discounts_come_off_before_tax_and_split_over_lines() {
        let price = json!({"unit_amount": 1000, "tax_behavior": "exclusive"});
        let coupon = json!({"percent_off": 25.5, "amount_off": null});
        let a = compute_with_discount(&[(price.clone(), 1)], Some(1900), Some(&coupon));
        assert_eq!(
            (a.subtotal, a.discount, a.tax, a.total),
            (1000, 255, 142, 887)
        );
        let fixed = json!({"percent_off": null, "amount_off": 1000});
        let b = compute_with_discount(&[(price.clone(), 1), (price, 2)], None, Some(&fixed));
        assert_eq!(b.line_discounts, vec![333, 667]);
        assert_eq!(b.total, 2000);
    }
}
