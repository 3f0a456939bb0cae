//! What each Stripe event does to Paydesk's state. Every effect is safe to run twice: objects
//! are stored only when newer (see `order`), purchases and top-up credits once per payment.

use super::objects::{
    discounts_of, is_deleted, text, Charge, CheckoutSession, Customer, Invoice, Kind,
    PaymentIntent, PaymentMethod, Refund, Subscription, USER_METADATA_KEY,
};
use super::order::{judge, State, Verdict, Version};
use super::{Applier, ApplyError, InboxEvent, LiveStripe};
use crate::server::billing::recurring::{self, DiscountTerms};
use crate::server::db::stripe_state::{
    self as db, NewCredit, NewObject, NewPurchase, StoredObject,
};
use crate::server::stripe::StripePath;
use chrono::Utc;
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The event's state (or Stripe's current one) is stored.
    Applied,
    /// What is stored is as new or newer; the event's own effects (if any) still ran.
    Kept,
    /// Paydesk does not act on this type.
    Ignored(&'static str),
}

/// Applies one event. The caller holds the locks of the objects it touches (see
/// `InboxEvent::lock_keys`).
pub async fn apply_event(
    db: &mut PgConnection,
    applier: &mut Applier<'_>,
    event: &InboxEvent,
) -> Result<Outcome, ApplyError> {
    let object = &event.payload["data"]["object"];
    let type_ = event.type_.as_str();
    if type_ == "checkout.session.completed" {
        return checkout_completed(db, &mut applier.live, event, object).await;
    }
    if type_.starts_with("product.") || type_.starts_with("price.") {
        return Ok(Outcome::Ignored(
            "catalog changes show as drift under Plans & products",
        ));
    }
    if !crate::server::stripe::HANDLED_EVENTS.contains(&type_) {
        return Ok(Outcome::Ignored("Paydesk does not act on this event type"));
    }
    match Kind::of(object) {
        Some(kind) => apply_object_event(db, applier, event, kind, object).await,
        None => Ok(Outcome::Ignored("Paydesk keeps no state for this object")),
    }
}

/// Stores the event's object if it is newer than what is stored, projects it into its typed
/// table, then runs the event type's own effects.
async fn apply_object_event(
    db: &mut PgConnection,
    applier: &mut Applier<'_>,
    event: &InboxEvent,
    kind: Kind,
    object: &Value,
) -> Result<Outcome, ApplyError> {
    let mut object = object.clone();
    if event.type_ == "customer.deleted" {
        // The event carries the customer as it was; its being gone is what the type says.
        object["deleted"] = Value::Bool(true);
    }
    let id = text(&object["id"]).ok_or_else(|| ApplyError::malformed("the object has no id"))?;
    let mode = event.mode.as_str();
    let stored = applier.stored(db, mode, &id).await?;
    let previous = event.payload["data"].get("previous_attributes");
    let incoming = State {
        version: Version {
            created: event.created,
            rank: kind.rank(&object),
        },
        object: &object,
        previous,
        terminal: kind.is_terminal(&object),
    };
    let verdict = judge(
        stored.as_ref().map(|s| State {
            version: Version {
                created: s.event_created,
                rank: s.rank,
            },
            object: &s.object,
            previous: s.previous.as_ref(),
            terminal: kind.is_terminal(&s.object),
        }),
        incoming,
    );
    let written = match verdict {
        Verdict::Keep => None,
        Verdict::Apply => Some((object.clone(), previous.cloned())),
        Verdict::Refetch => Some((
            applier
                .live
                .fetch(mode, &kind.path(&ApplyError::id(&id)?))
                .await?,
            None,
        )),
    };
    let mut written = written;
    if let Some((current, _)) = &mut written {
        match kind {
            Kind::Subscription => describe_discounts(db, &mut applier.live, mode, current).await?,
            Kind::Customer => add_tax_location(&mut applier.live, mode, current).await?,
            _ => {}
        }
    }
    let outcome = match written {
        None => Outcome::Kept,
        Some((current, previous)) => {
            store(
                db,
                mode,
                kind,
                &id,
                &current,
                previous.as_ref(),
                event.created,
            )
            .await?;
            let rank = kind.rank(&current);
            applier.remember(
                mode,
                &id,
                StoredObject {
                    object: current,
                    previous,
                    event_created: event.created,
                    rank,
                },
            );
            Outcome::Applied
        }
    };
    if kind == Kind::Invoice {
        describe_tax_rates(db, &mut applier.live, mode, &object).await?;
    }
    run_effects(db, event, kind, &object).await?;
    Ok(outcome)
}

/// Writes the object with its version and refreshes its typed row.
pub(super) async fn store(
    db: &mut PgConnection,
    mode: &str,
    kind: Kind,
    id: &str,
    object: &Value,
    previous: Option<&Value>,
    event_created: i64,
) -> Result<(), ApplyError> {
    db::put_object(
        db,
        &NewObject {
            mode,
            id,
            kind: kind.as_str(),
            object,
            previous,
            event_created,
            rank: kind.rank(object),
        },
    )
    .await?;
    let unreadable =
        || ApplyError::malformed(format!("the {} lacks fields Paydesk needs", kind.as_str()));
    match kind {
        Kind::Customer => {
            let customer = Customer::read(object).ok_or_else(unreadable)?;
            db::upsert_customer(db, mode, &customer).await?;
        }
        Kind::Subscription => {
            let sub = Subscription::read(object).ok_or_else(unreadable)?;
            let discounts = db::discount_terms(db, mode, &sub.discount_ids).await?;
            let annual = recurring::annual_amount(
                &sub.items,
                sub.currency.as_deref(),
                &discounts,
                Utc::now(),
            );
            db::upsert_subscription(db, mode, &sub, annual).await?;
        }
        Kind::Invoice => {
            let invoice = Invoice::read(object).ok_or_else(unreadable)?;
            db::upsert_invoice(db, mode, &invoice).await?;
        }
        Kind::PaymentIntent => {
            let payment = PaymentIntent::read(object).ok_or_else(unreadable)?;
            db::upsert_payment(db, mode, &payment).await?;
        }
        Kind::PaymentMethod => {
            let method = PaymentMethod::read(object).ok_or_else(unreadable)?;
            db::upsert_payment_method(db, mode, &method).await?;
        }
        Kind::Charge => {
            let charge = Charge::read(object).ok_or_else(unreadable)?;
            db::record_refund(db, mode, &charge).await?;
        }
        Kind::Refund => {
            let refund = Refund::read(object).ok_or_else(unreadable)?;
            db::upsert_refund(db, mode, &refund).await?;
        }
    }
    Ok(())
}

/// Stripe Tax's verdict on a customer's address (`tax.automatic_tax`) comes only when asked
/// for, so it is fetched for a customer with an address, for the console's warning.
async fn add_tax_location(
    live: &mut LiveStripe<'_>,
    mode: &str,
    customer: &mut Value,
) -> Result<(), ApplyError> {
    if customer["tax"].is_object() || !customer["address"].is_object() || is_deleted(customer) {
        return Ok(());
    }
    let Some(id) = text(&customer["id"]) else {
        return Ok(());
    };
    let expanded = live
        .fetch_with(
            mode,
            &StripePath::new("/customers").id(&ApplyError::id(&id)?),
            &[("expand[0]", "tax")],
        )
        .await?;
    customer["tax"] = expanded["tax"].clone();
    Ok(())
}

/// Keeps the coupon terms of a subscription's discounts, fetching the subscription with its
/// discounts expanded once when one is new: events carry discounts as bare ids.
async fn describe_discounts(
    db: &mut PgConnection,
    live: &mut LiveStripe<'_>,
    mode: &str,
    subscription: &Value,
) -> Result<(), ApplyError> {
    let discounts = discounts_of(subscription);
    let mut terms: Vec<DiscountTerms> = discounts
        .iter()
        .filter_map(|d| DiscountTerms::read(d))
        .collect();
    let ids: Vec<String> = discounts.iter().filter_map(|d| text(d)).collect();
    let known = db::discount_terms(db, mode, &ids).await?;
    let missing = ids
        .iter()
        .any(|id| !known.iter().chain(&terms).any(|t| &t.id == id));
    if missing {
        if let Some(id) = text(&subscription["id"]) {
            let expanded = live
                .fetch_with(
                    mode,
                    &StripePath::new("/subscriptions").id(&ApplyError::id(&id)?),
                    &[("expand[0]", "discounts.source.coupon")],
                )
                .await?;
            terms.extend(
                discounts_of(&expanded)
                    .iter()
                    .filter_map(|d| DiscountTerms::read(d)),
            );
        }
    }
    for t in &terms {
        db::put_discount_terms(db, mode, t).await?;
    }
    Ok(())
}

/// Fetches, once each, the tax rates an invoice names, so its PDF can say "VAT 19% (DE)"
/// without asking Stripe when it is downloaded.
async fn describe_tax_rates(
    db: &mut PgConnection,
    live: &mut LiveStripe<'_>,
    mode: &str,
    invoice: &Value,
) -> Result<(), ApplyError> {
    let Some(invoice) = Invoice::read(invoice) else {
        return Ok(());
    };
    let ids: Vec<String> = invoice
        .tax_lines
        .iter()
        .filter_map(|t| t.tax_rate.clone())
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    for id in db::unknown_tax_rates(db, mode, &ids).await? {
        let path = StripePath::new("/tax_rates").id(&ApplyError::id(&id)?);
        let rate = live.fetch(mode, &path).await?;
        let field = |key: &str| rate[key].as_str().filter(|v| !v.is_empty());
        // Stripe sends the percentage as a JSON number; its text is kept as is ("8.875").
        let percentage = match &rate["percentage"] {
            Value::Number(n) => n.to_string(),
            _ => String::new(),
        };
        let percentage = percentage.strip_suffix(".0").unwrap_or(&percentage);
        db::put_tax_rate(
            db,
            mode,
            &db::NewTaxRate {
                id: &id,
                display_name: field("display_name").unwrap_or("Tax"),
                percentage,
                inclusive: rate["inclusive"].as_bool().unwrap_or(false),
                jurisdiction: field("jurisdiction"),
                country: field("country"),
                state: field("state"),
            },
        )
        .await?;
    }
    Ok(())
}

/// What an event means beyond its object's new state. Each is idempotent, and each reads the
/// event's own object: an invoice.paid that arrives after a later state was stored still
/// grants what was paid for.
async fn run_effects(
    db: &mut PgConnection,
    event: &InboxEvent,
    kind: Kind,
    object: &Value,
) -> Result<(), ApplyError> {
    let mode = event.mode.as_str();
    if matches!(kind, Kind::Customer | Kind::Subscription) {
        let customer = match kind {
            Kind::Customer => text(&object["id"]),
            _ => text(&object["customer"]),
        };
        let member = text(&object["metadata"][USER_METADATA_KEY]).and_then(|m| m.parse().ok());
        if let (Some(customer), Some(member)) = (customer, member) {
            db::link_customer(db, mode, &customer, member).await?;
        }
    }
    match event.type_.as_str() {
        "invoice.paid" | "invoice.payment_succeeded" => {
            let invoice = Invoice::read(object)
                .ok_or_else(|| ApplyError::malformed("the invoice lacks fields Paydesk needs"))?;
            if invoice.status == "paid" {
                db::enqueue_receipt(db, mode, &invoice.id).await?;
                let paid_at = invoice.paid_at.unwrap_or(invoice.created);
                for price in &invoice.price_ids {
                    grant_top_up(db, mode, &invoice.id, &invoice.customer_id, price, paid_at)
                        .await?;
                }
            }
        }
        "invoice.payment_failed" | "invoice.payment_action_required" => {
            let attention = if event.type_ == "invoice.payment_failed" {
                "fix_payment"
            } else {
                "authenticate"
            };
            if let Some(id) = text(&object["id"]) {
                db::set_invoice_attention(db, mode, &id, attention).await?;
            }
        }
        "invoice.finalization_failed"
            if object["automatic_tax"]["status"] == "requires_location_inputs" =>
        {
            if let Some(id) = text(&object["id"]) {
                db::set_invoice_attention(db, mode, &id, "fix_address").await?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// A top-up product's payment buys its months of access; any other product buys nothing here.
async fn grant_top_up(
    db: &mut PgConnection,
    mode: &str,
    source_id: &str,
    customer_id: &str,
    price_id: &str,
    paid_at: chrono::DateTime<chrono::Utc>,
) -> Result<bool, ApplyError> {
    let Some(product) = db::product_of_price(db, mode, price_id).await? else {
        return Ok(false);
    };
    if product.kind != "top_up" {
        return Ok(false);
    }
    // Seed 002's metadata: `interval` in months, `accountType`.
    let months = product.metadata["interval"]
        .as_str()
        .and_then(|m| m.trim().parse::<i32>().ok())
        .filter(|m| *m > 0)
        .unwrap_or(1);
    let account_type = product.metadata["accountType"]
        .as_str()
        .filter(|a| !a.is_empty())
        .unwrap_or(&product.name)
        .to_owned();
    db::ensure_customer(db, mode, customer_id).await?;
    Ok(db::insert_top_up_credit(
        db,
        &NewCredit {
            mode,
            source_id,
            customer_id,
            product_id: product.id,
            account_type: &account_type,
            months,
            paid_at,
        },
    )
    .await?)
}

/// Links the Stripe customer to the member who started the Checkout and records the
/// purchase; a paid one-off top-up grants its months here (a subscribed one, on each paid
/// invoice).
async fn checkout_completed(
    db: &mut PgConnection,
    live: &mut LiveStripe<'_>,
    event: &InboxEvent,
    object: &Value,
) -> Result<Outcome, ApplyError> {
    let mode = event.mode.as_str();
    let session = CheckoutSession::read(object)
        .ok_or_else(|| ApplyError::malformed("the Checkout Session lacks fields Paydesk needs"))?;
    if session.mode == "setup" {
        return Ok(Outcome::Ignored(
            "a setup session only saves a card; payment_method.attached records it",
        ));
    }
    let member: Option<Uuid> = session
        .client_reference_id
        .as_deref()
        .and_then(|r| r.parse().ok());
    if let Some(customer) = &session.customer_id {
        db::ensure_customer(db, mode, customer).await?;
        if let Some(member) = member {
            db::link_customer(db, mode, customer, member).await?;
        }
    }
    let price = match session.price_id.clone() {
        Some(price) => Some(price),
        None => {
            let items = live
                .fetch(
                    mode,
                    &StripePath::new("/checkout/sessions")
                        .id(&ApplyError::id(&session.id)?)
                        .seg("line_items"),
                )
                .await?;
            text(&items["data"][0]["price"])
        }
    };
    let product = match &price {
        Some(price) => db::product_of_price(db, mode, price).await?,
        None => None,
    };
    let kind = match (&product, session.mode.as_str()) {
        (Some(p), _) => p.kind.clone(),
        (None, "subscription") => "plan".to_owned(),
        (None, _) => "one_time".to_owned(),
    };
    db::insert_purchase(
        db,
        &NewPurchase {
            mode,
            checkout_id: &session.id,
            user_id: member,
            customer_id: session.customer_id.as_deref(),
            kind: &kind,
            product_id: product.as_ref().map(|p| p.id),
            price_id: price.as_deref(),
            subscription_id: session.subscription_id.as_deref(),
            payment_id: session.payment_intent.as_deref(),
            currency: session.currency.as_deref(),
            amount_total: session.amount_total,
            created: session.created,
        },
    )
    .await?;
    if session.mode == "payment" && session.payment_status == "paid" {
        if let (Some(customer), Some(price)) = (&session.customer_id, &price) {
            grant_top_up(db, mode, &session.id, customer, price, session.created).await?;
        }
    }
    Ok(Outcome::Applied)
}
