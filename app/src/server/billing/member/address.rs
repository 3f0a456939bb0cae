//! Billing address and Tax IDs (seed 004). After each address change Paydesk asks Stripe Tax
//! whether it recognises the location and acts per the tax billing behaviour: with Bypass an
//! unrecognised address turns automatic tax off on the member's subscription so renewals are
//! still charged; with Require billing address tax stays on and Stripe holds renewals until
//! the address is valid. A recognised address turns automatic tax back on.

use super::{fresh_key, known_id, named_id, text, MemberBilling};
use crate::model::{
    check_tax_id, AddressForm, AddressPage, AppError, StripeId, TaxBehavior, TaxIdView, TaxLocation,
};
use crate::server::billing::settings::payment_error;
use crate::server::stripe::{Form, StripeFailure, StripePath};
use serde_json::Value;

impl MemberBilling<'_> {
    pub async fn address(&self) -> Result<AddressPage, AppError> {
        let customer = self.customer().await?;
        let object = self
            .stripe
            .get_with(
                &StripePath::new("/customers").id(&customer),
                &[("expand[0]", "tax")],
            )
            .await
            .map_err(payment_error)?;
        self.address_page(&customer, &object).await
    }

    pub async fn save_address(&self, form: &AddressForm) -> Result<AddressPage, AppError> {
        let address = validate(form)?;
        let customer = self.customer().await?;
        let body = Form::new()
            .set("address[line1]", address.line1.as_str())
            .set("address[line2]", address.line2.as_str())
            .set("address[city]", address.city.as_str())
            .set("address[state]", address.state.as_str())
            .set("address[postal_code]", address.postal_code.as_str())
            .set("address[country]", address.country.as_str())
            .set("expand[0]", "tax");
        let object = self
            .stripe
            .post(
                &StripePath::new("/customers").id(&customer),
                &body,
                &fresh_key("address"),
            )
            .await
            .map_err(payment_error)?;
        let page = self.address_page(&customer, &object).await?;
        self.apply_tax_behaviour(page.location).await?;
        if page.location == TaxLocation::Verified {
            self.release_held_renewals(&customer).await?;
        }
        Ok(page)
    }

    /// Finalizes and charges renewals Stripe held for want of a located address. A failed
    /// charge is not the address's fault: it shows as "fix payment" through the webhooks.
    async fn release_held_renewals(&self, customer: &StripeId) -> Result<(), AppError> {
        let drafts = self
            .stripe
            .list_objects(
                &StripePath::new("/invoices"),
                &[("customer", customer.as_str()), ("status", "draft")],
            )
            .await
            .map_err(payment_error)?;
        let held: Vec<StripeId> = drafts
            .iter()
            .filter(|i| i["automatic_tax"]["status"] == "requires_location_inputs")
            .filter_map(|i| text(&i["id"]))
            .map(|id| known_id(&id))
            .collect::<Result<_, _>>()?;
        for id in held {
            let invoice = StripePath::new("/invoices").id(&id);
            self.stripe
                .post(
                    &invoice.clone().seg("finalize"),
                    &Form::new(),
                    &format!("paydesk-finalize-{id}"),
                )
                .await
                .map_err(payment_error)?;
            match self
                .stripe
                .post(
                    &invoice.seg("pay"),
                    &Form::new(),
                    &format!("paydesk-pay-{id}"),
                )
                .await
            {
                Ok(_) => tracing::info!(invoice = %id, "held renewal released and paid"),
                Err(failure) => tracing::warn!(invoice = %id, "held renewal not paid: {failure}"),
            }
        }
        Ok(())
    }

    /// Turns automatic tax on the member's subscription off (Bypass, unrecognised) or back on
    /// (recognised), when automatic tax is used at all.
    async fn apply_tax_behaviour(&self, location: TaxLocation) -> Result<(), AppError> {
        if !self.settings.automatic_tax {
            return Ok(());
        }
        let enable = match (location, self.settings.tax_behavior) {
            (TaxLocation::Verified, _) => true,
            (_, TaxBehavior::Bypass) => false,
            (_, TaxBehavior::RequireBillingAddress) => return Ok(()),
        };
        let Some(id) = self.live_subscription_id().await? else {
            return Ok(());
        };
        let sub = self.stripe.subscription(&id).await.map_err(payment_error)?;
        if sub["automatic_tax"]["enabled"].as_bool() == Some(enable) {
            return Ok(());
        }
        let form = Form::new().set("automatic_tax[enabled]", enable.to_string());
        self.stripe
            .update_subscription(&id, &form, &fresh_key("sub-tax"))
            .await
            .map_err(payment_error)?;
        tracing::info!(subscription = %id, enable, "automatic tax changed after address update");
        Ok(())
    }

    pub async fn add_tax_id(&self, kind: &str, value: &str) -> Result<AddressPage, AppError> {
        let value = check_tax_id(kind, value).map_err(|m| AppError::validation("tax_id", m))?;
        let customer = self.customer().await?;
        let form = Form::new().set("type", kind).set("value", value);
        self.stripe
            .post(
                &StripePath::new("/customers").id(&customer).seg("tax_ids"),
                &form,
                &fresh_key("tax-id"),
            )
            .await
            .map_err(|failure| AppError::validation("tax_id", failure.to_string()))?;
        self.address().await
    }

    /// Removes one of the member's Tax IDs. Anything that is not a Tax ID of their own
    /// customer (malformed, someone else's, gone) is the same 404, and a malformed one never
    /// reaches Stripe. The delete names the member's own customer in its path, so Stripe
    /// itself refuses another customer's Tax ID.
    pub async fn remove_tax_id(&self, id: &str) -> Result<AddressPage, AppError> {
        let id = named_id("txi", id)?;
        let customer = self.existing_customer().await?.ok_or(AppError::NotFound)?;
        self.stripe
            .delete_tax_id(&customer, &id, &fresh_key("tax-id-delete"))
            .await
            .map_err(|failure| match failure {
                StripeFailure::NotFound(_) => AppError::NotFound,
                other => payment_error(other),
            })?;
        self.address().await
    }

    async fn address_page(
        &self,
        customer: &StripeId,
        object: &Value,
    ) -> Result<AddressPage, AppError> {
        let a = &object["address"];
        let field = |key: &str| text(&a[key]).unwrap_or_default();
        let address = AddressForm {
            line1: field("line1"),
            line2: field("line2"),
            city: field("city"),
            state: field("state"),
            postal_code: field("postal_code"),
            country: field("country"),
        };
        // Anything but a clear yes (`supported`, or `not_collecting` where no tax is due)
        // counts as not recognised: Paydesk never assumes an address it was not told about.
        let location = match object["tax"]["automatic_tax"].as_str() {
            _ if address.country.is_empty() => TaxLocation::Missing,
            Some("supported" | "not_collecting") => TaxLocation::Verified,
            _ => TaxLocation::NotRecognised,
        };
        let consequence = match (location, self.settings.tax_behavior) {
            (TaxLocation::Verified, _) => String::new(),
            (_, TaxBehavior::Bypass) => "Until Stripe recognises your address, no tax is added and your plan renews as usual.".into(),
            (_, TaxBehavior::RequireBillingAddress) => "Renewals wait until Stripe recognises your address: please correct it to keep your plan.".into(),
        };
        let ids = self
            .stripe
            .list_objects(
                &StripePath::new("/customers").id(customer).seg("tax_ids"),
                &[],
            )
            .await
            .map_err(payment_error)?;
        let tax_ids = ids
            .iter()
            .filter_map(|t| {
                Some(TaxIdView {
                    id: text(&t["id"])?,
                    kind: text(&t["type"])?,
                    value: text(&t["value"])?,
                    verification: text(&t["verification"]["status"])
                        .unwrap_or_else(|| "unavailable".into()),
                })
            })
            .collect();
        Ok(AddressPage {
            address,
            location,
            consequence,
            tax_ids,
        })
    }
}

/// Trims each field and checks what Stripe needs: a street, a city, a postal code and a
/// two-letter country. Whether the place exists is Stripe Tax's call.
fn validate(form: &AddressForm) -> Result<AddressForm, AppError> {
    let clean = |s: &str, max: usize, field: &str| -> Result<String, AppError> {
        let t = s.trim();
        if t.chars().count() > max {
            return Err(AppError::validation(
                field,
                format!("At most {max} characters."),
            ));
        }
        Ok(t.to_owned())
    };
    let address = AddressForm {
        line1: clean(&form.line1, 200, "line1")?,
        line2: clean(&form.line2, 200, "line2")?,
        city: clean(&form.city, 100, "city")?,
        state: clean(&form.state, 100, "state")?,
        postal_code: clean(&form.postal_code, 20, "postal_code")?,
        country: clean(&form.country, 2, "country")?.to_ascii_uppercase(),
    };
    if address.line1.is_empty() {
        return Err(AppError::validation("line1", "Enter your street address."));
    }
    if address.city.is_empty() {
        return Err(AppError::validation("city", "Enter your city."));
    }
    if address.postal_code.is_empty() {
        return Err(AppError::validation(
            "postal_code",
            "Enter your postal code.",
        ));
    }
    if address.country.len() != 2 || !address.country.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(AppError::validation("country", "Choose your country."));
    }
    Ok(address)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> AddressForm {
        AddressForm {
            line1: " 1 Main St ".into(),
            line2: String::new(),
            city: "Berlin".into(),
            state: String::new(),
            postal_code: "10115".into(),
            country: "de".into(),
        }
    }

    #[test]
    fn an_address_is_trimmed_and_its_country_upper_cased() {
        let a = validate(&form()).expect("valid");
        assert_eq!(a.line1, "1 Main St");
        assert_eq!(a.country, "DE");
    }

    #[test]
    fn missing_fields_are_named() {
        let mut f = form();
        f.city = "  ".into();
        assert_eq!(
            validate(&f)
                .expect_err("no city")
                .field_message("city")
                .as_deref(),
            Some("Enter your city.")
        );
        let mut f = form();
        f.country = "Germany".into();
        assert!(validate(&f).is_err());
    }
}
