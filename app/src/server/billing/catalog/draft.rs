//! The product editor's form, parsed into what may be saved.

use crate::model::{AppError, Currency, Money, PlanInterval, ProductForm, ProductKind};
use std::collections::BTreeMap;

/// Metadata keys the editor owns (the seeds' names, so existing integrations keep reading them).
const ACCOUNT_TYPE: &str = "accountType";
const INTERVAL: &str = "interval";
const CAPACITY: &str = "capacity";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub kind: ProductKind,
    pub name: String,
    pub description: String,
    pub image_url: String,
    pub metadata: BTreeMap<String, String>,
    pub tax_rate_ids: Vec<String>,
    pub prices: Vec<DraftPrice>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftPrice {
    pub amount: Money,
    pub interval: Option<PlanInterval>,
}

/// Checks every field; the first problem comes back as a validation error naming its field.
/// `existing` metadata is kept except for the keys the editor owns.
pub fn parse_form(
    form: &ProductForm,
    existing: Option<&BTreeMap<String, String>>,
) -> Result<Draft, AppError> {
    let kind = ProductKind::parse(&form.kind)
        .ok_or_else(|| AppError::validation("kind", "Choose plan, top-up or one-time."))?;
    let name = form.name.trim();
    if name.is_empty() {
        return Err(AppError::validation("name", "Give the product a name."));
    }
    if name.chars().count() > 250 {
        return Err(AppError::validation(
            "name",
            "Keep the name under 250 characters.",
        ));
    }
    let image_url = form.image_url.trim();
    if !image_url.is_empty()
        && !image_url.starts_with("https://")
        && !image_url.starts_with("http://")
    {
        return Err(AppError::validation(
            "image_url",
            "The image URL must start with https://.",
        ));
    }

    let mut metadata = existing.cloned().unwrap_or_default();
    for key in [ACCOUNT_TYPE, INTERVAL, CAPACITY] {
        metadata.remove(key);
    }
    match kind {
        ProductKind::TopUp => {
            let account_type = form.account_type.trim();
            if account_type.is_empty() {
                return Err(AppError::validation(
                    "account_type",
                    "A top-up needs the account type it grants.",
                ));
            }
            let months = positive_int(&form.interval_months, 120).ok_or_else(|| {
                AppError::validation(
                    "interval_months",
                    "Give the months each top-up adds (1 to 120).",
                )
            })?;
            metadata.insert(ACCOUNT_TYPE.into(), account_type.to_owned());
            metadata.insert(INTERVAL.into(), months.to_string());
        }
        ProductKind::OneTime if !form.capacity.trim().is_empty() => {
            let capacity = positive_int(&form.capacity, 1_000_000).ok_or_else(|| {
                AppError::validation("capacity", "Capacity is a whole number above zero.")
            })?;
            metadata.insert(CAPACITY.into(), capacity.to_string());
        }
        _ => {}
    }

    let tax_rate_ids = parse_tax_rate_ids(&form.tax_rate_ids)?;

    let mut prices: Vec<DraftPrice> = Vec::new();
    for (i, p) in form.prices.iter().enumerate() {
        if p.amount.trim().is_empty() && p.currency.trim().is_empty() {
            continue;
        }
        let field = |f: &str| format!("prices.{i}.{f}");
        let currency = Currency::parse(&p.currency)
            .map_err(|m| AppError::validation(&field("currency"), m))?;
        let amount = Money::parse_major(&p.amount, currency)
            .map_err(|m| AppError::validation(&field("amount"), m))?;
        let interval = match p.interval.as_str() {
            "one_time" => None,
            other => Some(PlanInterval::parse(other).ok_or_else(|| {
                AppError::validation(&field("interval"), "Choose monthly, yearly or one-time.")
            })?),
        };
        match (kind, interval) {
            (ProductKind::Plan, None) => return Err(AppError::validation(
                &field("interval"),
                "A plan's prices are monthly or yearly; use a one-time product for one-off sales.",
            )),
            (ProductKind::OneTime, Some(_)) => {
                return Err(AppError::validation(
                    &field("interval"),
                    "A one-time product has one-time prices only.",
                ))
            }
            _ => {}
        }
        if prices
            .iter()
            .any(|q| q.amount.currency == amount.currency && q.interval == interval)
        {
            return Err(AppError::validation(
                &field("currency"),
                format!(
                    "There is already a {} {} price.",
                    interval.map(PlanInterval::as_str).unwrap_or("one-time"),
                    amount.currency.code().to_ascii_uppercase()
                ),
            ));
        }
        prices.push(DraftPrice { amount, interval });
    }
    if prices.is_empty() {
        return Err(AppError::validation("prices", "Add at least one price."));
    }
    Ok(Draft {
        kind,
        name: name.to_owned(),
        description: form.description.trim().to_owned(),
        image_url: image_url.to_owned(),
        metadata,
        tax_rate_ids,
        prices,
    })
}

/// Stripe applies at most five tax rates to a line item.
const MAX_TAX_RATES: usize = 5;

fn parse_tax_rate_ids(raw: &str) -> Result<Vec<String>, AppError> {
    let mut ids: Vec<String> = Vec::new();
    for id in raw
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
    {
        let well_formed = id.strip_prefix("txr_").is_some_and(|rest| {
            !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        });
        if !well_formed {
            return Err(AppError::validation(
                "tax_rate_ids",
                format!("'{id}' is not a Stripe tax rate ID (txr_...)."),
            ));
        }
        if !ids.iter().any(|known| known == id) {
            ids.push(id.to_owned());
        }
    }
    if ids.len() > MAX_TAX_RATES {
        return Err(AppError::validation(
            "tax_rate_ids",
            format!("Stripe applies at most {MAX_TAX_RATES} tax rates to a purchase."),
        ));
    }
    Ok(ids)
}

fn positive_int(raw: &str, max: u32) -> Option<u32> {
    raw.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=max).contains(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PriceForm;

    fn price(currency: &str, amount: &str, interval: &str) -> PriceForm {
        PriceForm {
            currency: currency.into(),
            amount: amount.into(),
            interval: interval.into(),
        }
    }

    fn plan(prices: Vec<PriceForm>) -> ProductForm {
        ProductForm {
            kind: "plan".into(),
            name: "Pro".into(),
            prices,
            ..ProductForm::default()
        }
    }

    fn field_of(result: Result<Draft, AppError>) -> String {
        match result {
            Err(AppError::Validation { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn a_plan_with_monthly_and_yearly_prices_parses_to_minor_units() {
        let draft = parse_form(
            &plan(vec![
                price("usd", "29", "month"),
                price("USD", "290.00", "year"),
            ]),
            None,
        )
        .expect("valid");
        assert_eq!(draft.prices[0].amount.amount_minor, 2900);
        assert_eq!(draft.prices[1].amount.amount_minor, 29000);
        assert_eq!(draft.prices[1].interval, Some(PlanInterval::Year));
    }

    #[test]
    fn bad_fields_are_named() {
        assert_eq!(field_of(parse_form(&plan(vec![]), None)), "prices");
        assert_eq!(
            field_of(parse_form(
                &plan(vec![price("usd", "9.999", "month")]),
                None
            )),
            "prices.0.amount"
        );
        assert_eq!(
            field_of(parse_form(&plan(vec![price("us", "9", "month")]), None)),
            "prices.0.currency"
        );
        assert_eq!(
            field_of(parse_form(&plan(vec![price("usd", "9", "one_time")]), None)),
            "prices.0.interval"
        );
        assert_eq!(
            field_of(parse_form(
                &plan(vec![
                    price("usd", "9", "month"),
                    price("usd", "10", "month")
                ]),
                None
            )),
            "prices.1.currency"
        );
        let mut unnamed = plan(vec![price("usd", "9", "month")]);
        unnamed.name = "  ".into();
        assert_eq!(field_of(parse_form(&unnamed, None)), "name");
    }

    #[test]
    fn a_top_up_stores_account_type_and_interval_as_stripe_metadata() {
        let form = ProductForm {
            kind: "top_up".into(),
            name: "Premium year".into(),
            account_type: "premium".into(),
            interval_months: "12".into(),
            prices: vec![price("eur", "99", "one_time")],
            ..ProductForm::default()
        };
        let existing = BTreeMap::from([
            ("team".to_owned(), "growth".to_owned()),
            ("interval".to_owned(), "1".to_owned()),
        ]);
        let draft = parse_form(&form, Some(&existing)).expect("valid");
        assert_eq!(
            draft.metadata.get("accountType").map(String::as_str),
            Some("premium")
        );
        assert_eq!(
            draft.metadata.get("interval").map(String::as_str),
            Some("12")
        );
        assert_eq!(
            draft.metadata.get("team").map(String::as_str),
            Some("growth")
        );
        let mut missing = form.clone();
        missing.interval_months = "0".into();
        assert_eq!(field_of(parse_form(&missing, None)), "interval_months");
    }

    #[test]
    fn tax_rate_ids_are_checked_and_deduplicated() {
        let mut form = plan(vec![price("usd", "9", "month")]);
        form.tax_rate_ids = "txr_1Abc, txr_2Def txr_1Abc".into();
        let draft = parse_form(&form, None).expect("valid");
        assert_eq!(draft.tax_rate_ids, vec!["txr_1Abc", "txr_2Def"]);
        form.tax_rate_ids = "txr_1Abc, 7.7%".into();
        assert_eq!(field_of(parse_form(&form, None)), "tax_rate_ids");
    }

    #[test]
    fn zero_decimal_prices_take_whole_amounts() {
        let form = ProductForm {
            kind: "one_time".into(),
            name: "Workshop ticket".into(),
            capacity: "40".into(),
            prices: vec![price("jpy", "5000", "one_time")],
            ..ProductForm::default()
        };
        let draft = parse_form(&form, None).expect("valid");
        assert_eq!(draft.prices[0].amount.amount_minor, 5000);
        assert_eq!(
            draft.metadata.get("capacity").map(String::as_str),
            Some("40")
        );
    }
}
