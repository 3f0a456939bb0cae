//! The hosted Checkout page's tax rows for manual tax rates: one per rate, with its display name
//! and percentage, as Stripe's page names the rate the merchant chose.

use serde_json::Value;

use super::esc;
use crate::money::format_amount;

/// Rows for the rates named in the items' `taxes`, summed per rate, in first-seen order.
/// Inclusive rates say so: their tax is already inside the prices above.
pub fn manual_tax_rows(items: &[Value], currency: &str) -> String {
    let mut rates: Vec<(&Value, i64)> = Vec::new();
    for tax in items
        .iter()
        .filter_map(|item| item["taxes"].as_array())
        .flatten()
    {
        let amount = tax["amount"].as_i64().unwrap_or(0);
        match rates
            .iter_mut()
            .find(|(rate, _)| rate["id"] == tax["rate"]["id"])
        {
            Some((_, sum)) => *sum += amount,
            None => rates.push((&tax["rate"], amount)),
        }
    }
    rates
        .iter()
        .map(|(rate, amount)| {
            let included = if rate["inclusive"] == true {
                " included"
            } else {
                ""
            };
            let label = format!(
                "{} ({}%{included})",
                rate["display_name"].as_str().unwrap_or("Tax"),
                rate["percentage"]
            );
            format!(
                "<tr class=\"tax\"><td>{}</td><td class=\"amount\">{}</td></tr>",
                esc(&label),
                esc(&format_amount(*amount, currency))
            )
        })
        .collect()
}
