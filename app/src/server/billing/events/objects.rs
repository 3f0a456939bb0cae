//! The Stripe objects events carry, read leniently from JSON: Paydesk takes the fields it
//! stores and ignores the rest, so a newer API version with extra fields still applies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::StripeId;
use crate::server::billing::recurring::RecurringItem;
use crate::server::stripe::StripePath;

/// The kinds of object whose state Paydesk keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Customer,
    Subscription,
    Invoice,
    PaymentIntent,
    PaymentMethod,
    Charge,
    Refund,
}

impl Kind {
    pub fn of(object: &Value) -> Option<Self> {
        Some(match object["object"].as_str()? {
            "customer" => Self::Customer,
            "subscription" => Self::Subscription,
            "invoice" => Self::Invoice,
            "payment_intent" => Self::PaymentIntent,
            "payment_method" => Self::PaymentMethod,
            "charge" => Self::Charge,
            "refund" => Self::Refund,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Subscription => "subscription",
            Self::Invoice => "invoice",
            Self::PaymentIntent => "payment_intent",
            Self::PaymentMethod => "payment_method",
            Self::Charge => "charge",
            Self::Refund => "refund",
        }
    }

    /// Where Stripe's API returns the object as it is now.
    pub fn path(self, id: &StripeId) -> StripePath {
        let collection = match self {
            Self::Customer => "customers",
            Self::Subscription => "subscriptions",
            Self::Invoice => "invoices",
            Self::PaymentIntent => "payment_intents",
            Self::PaymentMethod => "payment_methods",
            Self::Charge => "charges",
            Self::Refund => "refunds",
        };
        StripePath::new(collection).id(id)
    }

    /// How far along the object is, for ordering two states stamped in the same second.
    pub fn rank(self, object: &Value) -> i64 {
        let status = object["status"].as_str().unwrap_or_default();
        match self {
            Self::Customer => i64::from(is_deleted(object)),
            Self::Subscription => match status {
                "incomplete" => 0,
                "trialing" => 1,
                "active" | "paused" => 2,
                "past_due" => 3,
                "unpaid" => 4,
                _ => 5, // canceled, incomplete_expired
            },
            Self::Invoice => match status {
                "draft" => 0,
                "open" => 1,
                "paid" | "uncollectible" => 2,
                _ => 3, // void
            },
            Self::PaymentIntent => match status {
                "requires_payment_method" => 0,
                "requires_confirmation" => 1,
                "requires_action" => 2,
                "processing" => 3,
                "requires_capture" => 4,
                _ => 5, // succeeded, canceled
            },
            Self::PaymentMethod => i64::from(object["customer"].is_null()),
            // Refunds only ever add up.
            Self::Charge => object["amount_refunded"].as_i64().unwrap_or(0),
            Self::Refund => match status {
                "pending" => 0,
                "requires_action" => 1,
                _ => 2, // succeeded, failed, canceled
            },
        }
    }

    /// States Stripe never moves an object out of.
    pub fn is_terminal(self, object: &Value) -> bool {
        let status = object["status"].as_str().unwrap_or_default();
        match self {
            Self::Customer => is_deleted(object),
            Self::Subscription => matches!(status, "canceled" | "incomplete_expired"),
            Self::Invoice => status == "void",
            Self::PaymentIntent => matches!(status, "succeeded" | "canceled"),
            Self::Refund => matches!(status, "failed" | "canceled"),
            Self::PaymentMethod | Self::Charge => false,
        }
    }
}

pub fn is_deleted(object: &Value) -> bool {
    object["deleted"].as_bool() == Some(true)
}

/// A string field, or `None` when absent, null or an expanded object without an id.
pub fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Object(map) => map.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

pub fn timestamp(value: &Value) -> Option<DateTime<Utc>> {
    value.as_i64().and_then(|s| DateTime::from_timestamp(s, 0))
}

pub fn amount(value: &Value) -> i64 {
    value.as_i64().unwrap_or(0)
}

/// The first subscription item: Paydesk sells one price per subscription.
fn first_item(subscription: &Value) -> &Value {
    &subscription["items"]["data"][0]
}

/// A subscription's discounts: `discounts` (ids, or objects when expanded), or the single
/// `discount` object of API versions before 2024.
pub fn discounts_of(subscription: &Value) -> Vec<&Value> {
    match subscription["discounts"].as_array() {
        Some(list) if !list.is_empty() => list.iter().collect(),
        _ if subscription["discount"].is_object() => vec![&subscription["discount"]],
        _ => Vec::new(),
    }
}

/// A subscription as the `subscriptions` table keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub id: String,
    pub customer_id: String,
    pub status: String,
    pub price_id: Option<String>,
    pub quantity: i64,
    pub current_period_start: Option<DateTime<Utc>>,
    pub current_period_end: Option<DateTime<Utc>>,
    pub cancel_at_period_end: bool,
    pub cancel_at: Option<DateTime<Utc>>,
    pub canceled_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub trial_end: Option<DateTime<Utc>>,
    pub latest_invoice: Option<String>,
    pub created: Option<DateTime<Utc>>,
    pub currency: Option<String>,
    pub items: Vec<RecurringItem>,
    /// The discounts' ids; their coupons' terms are kept in `discount_terms`.
    pub discount_ids: Vec<String>,
}

impl Subscription {
    pub fn read(o: &Value) -> Option<Self> {
        let item = first_item(o);
        // API versions from 2025 keep the period on the item; older ones on the subscription.
        let period = |key: &str| timestamp(&o[key]).or_else(|| timestamp(&item[key]));
        Some(Self {
            id: text(&o["id"])?,
            customer_id: text(&o["customer"])?,
            status: text(&o["status"])?,
            price_id: text(&item["price"]),
            quantity: item["quantity"].as_i64().unwrap_or(1),
            current_period_start: period("current_period_start"),
            current_period_end: period("current_period_end"),
            cancel_at_period_end: o["cancel_at_period_end"].as_bool().unwrap_or(false),
            cancel_at: timestamp(&o["cancel_at"]),
            canceled_at: timestamp(&o["canceled_at"]),
            ended_at: timestamp(&o["ended_at"]),
            trial_end: timestamp(&o["trial_end"]),
            latest_invoice: text(&o["latest_invoice"]),
            created: timestamp(&o["created"]),
            currency: text(&o["currency"]),
            items: RecurringItem::all_of(o),
            discount_ids: discounts_of(o).iter().filter_map(|d| text(d)).collect(),
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    pub id: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub address: Option<Value>,
    pub tax_location: Option<String>,
    /// `None` when the object does not list them (Stripe includes them only on request).
    pub tax_ids: Option<Value>,
    pub default_payment_method: Option<String>,
    pub deleted: bool,
}

impl Customer {
    pub fn read(o: &Value) -> Option<Self> {
        let tax_ids = o["tax_ids"]["data"].as_array().map(|ids| {
            Value::Array(
                ids.iter()
                    .map(|t| serde_json::json!({"type": t["type"], "value": t["value"]}))
                    .collect(),
            )
        });
        Some(Self {
            id: text(&o["id"])?,
            email: text(&o["email"]),
            name: text(&o["name"]),
            address: Some(o["address"].clone()).filter(|a| a.is_object()),
            tax_location: text(&o["tax"]["automatic_tax"]),
            tax_ids,
            default_payment_method: text(&o["invoice_settings"]["default_payment_method"]),
            deleted: is_deleted(o),
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Invoice {
    pub id: String,
    pub customer_id: String,
    pub subscription_id: Option<String>,
    pub status: String,
    pub number: Option<String>,
    pub currency: String,
    pub subtotal: i64,
    pub tax: i64,
    pub total: i64,
    pub amount_due: i64,
    pub amount_paid: i64,
    pub hosted_invoice_url: Option<String>,
    pub invoice_pdf: Option<String>,
    pub created: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub due_date: Option<DateTime<Utc>>,
    pub attempt_count: i32,
    pub next_payment_attempt: Option<DateTime<Utc>>,
    pub period_start: Option<DateTime<Utc>>,
    pub period_end: Option<DateTime<Utc>>,
    /// The payment that paid it (the first, when Stripe lists several).
    pub payment_intent: Option<String>,
    /// The Stripe prices billed, line by line.
    pub price_ids: Vec<String>,
    pub lines: Vec<InvoiceLine>,
    pub discounts: Vec<InvoiceDiscount>,
    pub tax_lines: Vec<InvoiceTax>,
    /// The buyer as the invoice names them: Stripe freezes these when it finalizes.
    pub customer_name: Option<String>,
    pub customer_email: Option<String>,
    pub customer_address: Option<Value>,
    pub customer_tax_ids: Vec<TaxIdEntry>,
}

/// One billed line, as the invoice PDF and lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    pub description: String,
    pub quantity: i64,
    /// `None` when the unit price is not a whole number of minor units.
    pub unit_amount: Option<i64>,
    pub amount: i64,
    pub period_start: Option<i64>,
    pub period_end: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceDiscount {
    pub label: String,
    pub amount: i64,
}

/// Tax charged at one rate; what the rate is (percentage, jurisdiction) is in `tax_rates`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceTax {
    pub tax_rate: Option<String>,
    pub inclusive: bool,
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxIdEntry {
    #[serde(rename = "type")]
    pub type_: String,
    pub value: String,
}

fn invoice_lines(o: &Value) -> Vec<InvoiceLine> {
    let Some(lines) = o["lines"]["data"].as_array() else {
        return Vec::new();
    };
    lines
        .iter()
        .map(|l| {
            let quantity = l["quantity"].as_i64().unwrap_or(1);
            // `unit_amount_decimal` is a decimal string ("1500", "1500.5"); only a whole
            // number of minor units is shown as a unit price.
            let unit_amount = l["pricing"]["unit_amount_decimal"]
                .as_str()
                .or_else(|| l["price"]["unit_amount_decimal"].as_str())
                .and_then(|d| d.strip_suffix(".0").unwrap_or(d).parse().ok())
                .or_else(|| l["price"]["unit_amount"].as_i64());
            InvoiceLine {
                description: text(&l["description"]).unwrap_or_default(),
                quantity,
                unit_amount,
                amount: amount(&l["amount"]),
                period_start: l["period"]["start"].as_i64(),
                period_end: l["period"]["end"].as_i64(),
            }
        })
        .collect()
}

fn invoice_discounts(o: &Value) -> Vec<InvoiceDiscount> {
    let Some(amounts) = o["total_discount_amounts"].as_array() else {
        return Vec::new();
    };
    let label = |discount: &Value| {
        // An expanded discount names its coupon; an id alone says nothing a buyer reads.
        let coupon = &discount["coupon"];
        let promotion = &discount["promotion_code"]["code"];
        text(promotion)
            .or_else(|| text(&coupon["name"]))
            .map_or_else(
                || "Discount".to_owned(),
                |name| format!("Discount ({name})"),
            )
    };
    amounts
        .iter()
        .filter(|d| amount(&d["amount"]) != 0)
        .map(|d| InvoiceDiscount {
            label: label(&d["discount"]),
            amount: amount(&d["amount"]),
        })
        .collect()
}

fn invoice_taxes(o: &Value) -> Vec<InvoiceTax> {
    // API versions from 2025 list `total_taxes`; older ones `total_tax_amounts`.
    if let Some(taxes) = o["total_taxes"].as_array() {
        return taxes
            .iter()
            .map(|t| InvoiceTax {
                tax_rate: text(&t["tax_rate_details"]["tax_rate"]),
                inclusive: t["tax_behavior"] == "inclusive",
                amount: amount(&t["amount"]),
            })
            .collect();
    }
    o["total_tax_amounts"]
        .as_array()
        .map(|taxes| {
            taxes
                .iter()
                .map(|t| InvoiceTax {
                    tax_rate: text(&t["tax_rate"]),
                    inclusive: t["inclusive"].as_bool().unwrap_or(false),
                    amount: amount(&t["amount"]),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn invoice_payment(o: &Value) -> Option<String> {
    let listed = o["payments"]["data"].as_array().and_then(|payments| {
        payments
            .iter()
            .find(|p| p["status"] == "paid")
            .or_else(|| payments.first())
            .and_then(|p| text(&p["payment"]["payment_intent"]))
    });
    listed.or_else(|| text(&o["payment_intent"]))
}

impl Invoice {
    pub fn read(o: &Value) -> Option<Self> {
        let tax = match o["total_taxes"].as_array() {
            Some(taxes) => taxes.iter().map(|t| amount(&t["amount"])).sum(),
            None => amount(&o["tax"]),
        };
        let price_ids = o["lines"]["data"]
            .as_array()
            .map(|lines| {
                lines
                    .iter()
                    .filter_map(|l| {
                        text(&l["pricing"]["price_details"]["price"]).or_else(|| text(&l["price"]))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(Self {
            id: text(&o["id"])?,
            customer_id: text(&o["customer"])?,
            subscription_id: text(&o["parent"]["subscription_details"]["subscription"])
                .or_else(|| text(&o["subscription"])),
            status: text(&o["status"]).unwrap_or_else(|| "draft".to_owned()),
            number: text(&o["number"]),
            currency: text(&o["currency"])?,
            subtotal: amount(&o["subtotal"]),
            tax,
            total: amount(&o["total"]),
            amount_due: amount(&o["amount_due"]),
            amount_paid: amount(&o["amount_paid"]),
            hosted_invoice_url: text(&o["hosted_invoice_url"]),
            invoice_pdf: text(&o["invoice_pdf"]),
            created: timestamp(&o["created"])?,
            paid_at: timestamp(&o["status_transitions"]["paid_at"]),
            due_date: timestamp(&o["due_date"]),
            attempt_count: o["attempt_count"]
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .unwrap_or(0),
            next_payment_attempt: timestamp(&o["next_payment_attempt"]),
            period_start: timestamp(&o["period_start"]),
            period_end: timestamp(&o["period_end"]),
            payment_intent: invoice_payment(o),
            price_ids,
            lines: invoice_lines(o),
            discounts: invoice_discounts(o),
            tax_lines: invoice_taxes(o),
            customer_name: text(&o["customer_name"]),
            customer_email: text(&o["customer_email"]),
            customer_address: Some(o["customer_address"].clone()).filter(Value::is_object),
            customer_tax_ids: o["customer_tax_ids"]
                .as_array()
                .map(|ids| {
                    ids.iter()
                        .filter_map(|t| {
                            Some(TaxIdEntry {
                                type_: text(&t["type"])?,
                                value: text(&t["value"])?,
                            })
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PaymentIntent {
    pub id: String,
    pub customer_id: Option<String>,
    pub status: String,
    pub currency: String,
    pub amount: i64,
    pub amount_received: i64,
    pub latest_charge: Option<String>,
    pub payment_method: Option<String>,
    pub failure_message: Option<String>,
    pub created: DateTime<Utc>,
}

impl PaymentIntent {
    pub fn read(o: &Value) -> Option<Self> {
        Some(Self {
            id: text(&o["id"])?,
            customer_id: text(&o["customer"]),
            status: text(&o["status"])?,
            currency: text(&o["currency"])?,
            amount: amount(&o["amount"]),
            amount_received: amount(&o["amount_received"]),
            latest_charge: text(&o["latest_charge"]),
            payment_method: text(&o["payment_method"]),
            failure_message: text(&o["last_payment_error"]["message"]),
            created: timestamp(&o["created"])?,
        })
    }
}

/// A charge, for what it says about refunds of its payment.
#[derive(Debug, Clone, PartialEq)]
pub struct Charge {
    pub id: String,
    pub payment_intent: Option<String>,
    pub customer_id: Option<String>,
    pub status: String,
    pub currency: String,
    pub amount: i64,
    pub amount_refunded: i64,
    pub created: DateTime<Utc>,
}

impl Charge {
    pub fn read(o: &Value) -> Option<Self> {
        Some(Self {
            id: text(&o["id"])?,
            payment_intent: text(&o["payment_intent"]),
            customer_id: text(&o["customer"]),
            status: text(&o["status"]).unwrap_or_else(|| "succeeded".to_owned()),
            currency: text(&o["currency"])?,
            amount: amount(&o["amount"]),
            amount_refunded: amount(&o["amount_refunded"]),
            created: timestamp(&o["created"])?,
        })
    }
}

/// A refund of a payment, with the reason the buyer sees on their invoice.
#[derive(Debug, Clone, PartialEq)]
pub struct Refund {
    pub id: String,
    pub payment_intent: Option<String>,
    pub charge: Option<String>,
    pub status: String,
    pub currency: String,
    pub amount: i64,
    pub reason: Option<String>,
    pub created: DateTime<Utc>,
}

impl Refund {
    pub fn read(o: &Value) -> Option<Self> {
        Some(Self {
            id: text(&o["id"])?,
            payment_intent: text(&o["payment_intent"]),
            charge: text(&o["charge"]),
            status: text(&o["status"]).unwrap_or_else(|| "succeeded".to_owned()),
            currency: text(&o["currency"])?,
            amount: amount(&o["amount"]),
            reason: text(&o["reason"]),
            created: timestamp(&o["created"])?,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PaymentMethod {
    pub id: String,
    pub customer_id: Option<String>,
    pub brand: Option<String>,
    pub last4: Option<String>,
    pub exp_month: Option<i32>,
    pub exp_year: Option<i32>,
}

impl PaymentMethod {
    pub fn read(o: &Value) -> Option<Self> {
        let card = &o["card"];
        let small = |v: &Value| v.as_i64().and_then(|n| i32::try_from(n).ok());
        Some(Self {
            id: text(&o["id"])?,
            customer_id: text(&o["customer"]),
            brand: text(&card["brand"]),
            last4: text(&card["last4"]),
            exp_month: small(&card["exp_month"]),
            exp_year: small(&card["exp_year"]),
        })
    }
}

/// The parts of a completed Checkout Session a purchase needs.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckoutSession {
    pub id: String,
    pub mode: String,
    pub payment_status: String,
    pub client_reference_id: Option<String>,
    pub customer_id: Option<String>,
    pub subscription_id: Option<String>,
    pub payment_intent: Option<String>,
    /// The price Paydesk put in the session's metadata when it created it.
    pub price_id: Option<String>,
    pub currency: Option<String>,
    pub amount_total: i64,
    pub created: DateTime<Utc>,
}

/// The metadata key Paydesk stores the sold price under on sessions it creates.
pub const PRICE_METADATA_KEY: &str = "paydesk_price";
/// The metadata key naming the member a customer or subscription belongs to.
pub const USER_METADATA_KEY: &str = "paydesk_user_id";

impl CheckoutSession {
    pub fn read(o: &Value) -> Option<Self> {
        Some(Self {
            id: text(&o["id"])?,
            mode: text(&o["mode"])?,
            payment_status: text(&o["payment_status"]).unwrap_or_default(),
            client_reference_id: text(&o["client_reference_id"]),
            customer_id: text(&o["customer"]),
            subscription_id: text(&o["subscription"]),
            payment_intent: text(&o["payment_intent"]),
            price_id: text(&o["metadata"][PRICE_METADATA_KEY]),
            currency: text(&o["currency"]),
            amount_total: amount(&o["amount_total"]),
            created: timestamp(&o["created"])?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_subscription_reads_its_period_from_the_item_or_itself() {
        let modern = json!({
            "id": "sub_1", "object": "subscription", "customer": "cus_1", "status": "active",
            "cancel_at_period_end": false,
            "items": {"data": [{"price": {"id": "price_1"}, "quantity": 2,
                                "current_period_start": 100, "current_period_end": 200}]}
        });
        let s = Subscription::read(&modern).expect("reads");
        assert_eq!(s.price_id.as_deref(), Some("price_1"));
        assert_eq!(s.quantity, 2);
        assert_eq!(s.current_period_end.map(|t| t.timestamp()), Some(200));
        let mut legacy = modern.clone();
        legacy["current_period_end"] = json!(300);
        assert_eq!(
            Subscription::read(&legacy)
                .and_then(|s| s.current_period_end)
                .map(|t| t.timestamp()),
            Some(300)
        );
    }

    #[test]
    fn ranks_follow_each_kinds_progress() {
        let sub = |status: &str| json!({"object": "subscription", "status": status});
        assert!(
            Kind::Subscription.rank(&sub("incomplete")) < Kind::Subscription.rank(&sub("active"))
        );
        assert!(
            Kind::Subscription.rank(&sub("active")) < Kind::Subscription.rank(&sub("canceled"))
        );
        assert!(Kind::Subscription.is_terminal(&sub("incomplete_expired")));
        let charge = json!({"object": "charge", "amount_refunded": 500});
        assert_eq!(Kind::Charge.rank(&charge), 500);
        assert_eq!(Kind::of(&charge), Some(Kind::Charge));
        assert_eq!(Kind::of(&json!({"object": "tax_id"})), None);
    }

    #[test]
    fn an_invoice_sums_its_taxes_and_lists_its_prices() {
        let invoice = json!({
            "id": "in_1", "object": "invoice", "customer": "cus_1", "status": "paid",
            "currency": "eur", "total": 1190, "created": 5,
            "total_taxes": [{"amount": 150}, {"amount": 40}],
            "parent": {"subscription_details": {"subscription": "sub_1"}},
            "lines": {"data": [{"pricing": {"price_details": {"price": "price_9"}}}]},
            "status_transitions": {"paid_at": 6}
        });
        let i = Invoice::read(&invoice).expect("reads");
        assert_eq!(i.tax, 190);
        assert_eq!(i.subscription_id.as_deref(), Some("sub_1"));
        assert_eq!(i.price_ids, vec!["price_9".to_owned()]);
        assert_eq!(i.paid_at.map(|t| t.timestamp()), Some(6));
    }
}
