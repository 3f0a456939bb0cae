//! Settings > Payment platform: which Stripe account Paydesk uses, and how.
//!
//! Keys come from the form (secrets sealed with the master key) unless `STRIPE_*` environment
//! variables override them. Secret values leave this module only inside a [`StripeApi`].
//!
//! Where a secret key may go: the API base is Stripe's own unless the environment says otherwise
//! (`STRIPE_API_BASE` forces one; `PAYDESK_STRIPE_API_BASES` lists others the form may choose),
//! so an admin session alone cannot send a key to a host of its choosing. Each stored key records
//! the base it was saved for and is never sent to another; changing the base means entering the
//! key again.

use crate::model::{
    mask_key, validate_key, AppError, ConnectionReport, KeyField, KeyKind, ModeKeys,
    RemoteProductSummary, StripeMode, StripeSettingsForm, StripeSettingsView, TaxBehavior,
    WebhookRegistration,
};
use crate::server::crypto::SecretCipher;
use crate::server::db::audit::{self, Actor};
use crate::server::db::settings::{self as db, KeyColumns, SettingsRow};
use crate::server::error::OrInternal;
use crate::server::stripe::{StripeApi, StripeFailure, HANDLED_EVENTS};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use sqlx::PgPool;

pub const DEFAULT_API_BASE: &str = "https://api.stripe.com";
pub const WEBHOOK_PATH: &str = "/api/stripe/webhook";

/// `STRIPE_*` from the environment; each overrides the form for the mode its key belongs to.
#[derive(Debug, Clone, Default)]
pub struct StripeEnv {
    pub secret_key: Option<SecretString>,
    pub publishable_key: Option<String>,
    pub webhook_secret: Option<SecretString>,
    /// `STRIPE_API_BASE`: the base for every call, whatever the form says.
    pub api_base: Option<String>,
    /// `PAYDESK_STRIPE_API_BASES`: origins besides Stripe's own that the form may choose (an
    /// emulator, a proxy); validated in the server's config.
    pub allowed_api_bases: Vec<String>,
}

impl StripeEnv {
    /// The mode the environment's keys are for: the secret key's, else the publishable key's.
    fn mode(&self) -> Option<StripeMode> {
        self.secret_key
            .as_ref()
            .and_then(|k| StripeMode::of_key(k.expose_secret()))
            .or_else(|| self.publishable_key.as_deref().and_then(StripeMode::of_key))
    }
}

/// What the settings rules need from the running server.
#[derive(Debug, Clone)]
pub struct SettingsContext<'a> {
    pub pool: &'a PgPool,
    pub cipher: &'a SecretCipher,
    pub env: &'a StripeEnv,
    pub public_url: &'a str,
}

fn column(mode: StripeMode, field: &str) -> String {
    format!("{}_{field}", mode.as_str())
}

fn keys_of(row: &SettingsRow, mode: StripeMode) -> &KeyColumns {
    match mode {
        StripeMode::Test => &row.test,
        StripeMode::Live => &row.live,
    }
}

fn keys_of_mut(row: &mut SettingsRow, mode: StripeMode) -> &mut KeyColumns {
    match mode {
        StripeMode::Test => &mut row.test,
        StripeMode::Live => &mut row.live,
    }
}

impl SettingsContext<'_> {
    pub async fn view(&self) -> Result<StripeSettingsView, AppError> {
        let row = db::load(self.pool)
            .await
            .or_internal("load stripe settings")?;
        Ok(self.view_of(&row))
    }

    fn view_of(&self, row: &SettingsRow) -> StripeSettingsView {
        let env_mode = self.env.mode();
        let mode_keys = |mode: StripeMode| {
            let stored = keys_of(row, mode);
            let env = (env_mode == Some(mode)).then_some(self.env);
            let field = |env_value: Option<String>, stored: Option<String>| match env_value {
                Some(v) => KeyField {
                    shown: Some(v),
                    from_env: true,
                },
                None => KeyField {
                    shown: stored,
                    from_env: false,
                },
            };
            ModeKeys {
                publishable_key: field(
                    env.and_then(|e| e.publishable_key.clone()),
                    stored.publishable_key.clone(),
                ),
                secret_key: field(
                    env.and_then(|e| e.secret_key.as_ref())
                        .map(|k| mask_key(k.expose_secret())),
                    stored.secret_key_hint.clone(),
                ),
                webhook_secret: field(
                    env.and_then(|e| e.webhook_secret.as_ref())
                        .map(|k| mask_key(k.expose_secret())),
                    stored.webhook_secret_hint.clone(),
                ),
            }
        };
        StripeSettingsView {
            enabled: row.enabled,
            mode: StripeMode::parse(&row.mode).unwrap_or_default(),
            test: mode_keys(StripeMode::Test),
            live: mode_keys(StripeMode::Live),
            automatic_tax: row.automatic_tax,
            tax_id_collection: row.tax_id_collection,
            use_stripe_invoice_pdf: row.use_stripe_invoice_pdf,
            tax_behavior: TaxBehavior::parse(&row.tax_behavior).unwrap_or_default(),
            api_base: self.api_base(row),
            api_base_from_env: self.env.api_base.is_some(),
            api_base_choices: self.api_base_choices(),
            webhook_url: self.webhook_url(),
            webhook_events: HANDLED_EVENTS.iter().map(|e| (*e).to_owned()).collect(),
            updated_at: row.updated_at,
        }
    }

    fn api_base(&self, row: &SettingsRow) -> String {
        self.env
            .api_base
            .clone()
            .or_else(|| row.api_base.clone())
            .unwrap_or_else(|| DEFAULT_API_BASE.to_owned())
    }

    /// The bases the form may choose: Stripe's own first, then the environment's list.
    fn api_base_choices(&self) -> Vec<String> {
        let mut choices = vec![DEFAULT_API_BASE.to_owned()];
        for base in &self.env.allowed_api_bases {
            if !choices.contains(base) {
                choices.push(base.clone());
            }
        }
        choices
    }

    /// The form's base: Stripe's (stored as `None`) or one the environment allows. Anything
    /// else is refused, so a key can only ever be pointed at a host the operator chose.
    fn parse_api_base(&self, raw: &str) -> Result<Option<String>, AppError> {
        let trimmed = raw.trim().trim_end_matches('/');
        if trimmed.is_empty() || trimmed.eq_ignore_ascii_case(DEFAULT_API_BASE) {
            return Ok(None);
        }
        let allowed = self
            .env
            .allowed_api_bases
            .iter()
            .find(|b| b.eq_ignore_ascii_case(trimmed));
        if let Some(allowed) = allowed {
            return Ok(Some(allowed.clone()));
        }
        Err(AppError::validation(
            "api_base",
            format!(
                "Only Stripe's API base ({DEFAULT_API_BASE}) or one listed in \
                 PAYDESK_STRIPE_API_BASES can be chosen here; to use another, add it to \
                 PAYDESK_STRIPE_API_BASES (or set STRIPE_API_BASE) in the server's environment."
            ),
        ))
    }

    fn webhook_url(&self) -> String {
        format!("{}{WEBHOOK_PATH}", self.public_url.trim_end_matches('/'))
    }

    /// Validates the whole form, then stores it and its audit row in one transaction. Any
    /// invalid field fails the save and changes nothing.
    pub async fn save(
        &self,
        actor: &Actor<'_>,
        form: &StripeSettingsForm,
    ) -> Result<StripeSettingsView, AppError> {
        let mode = StripeMode::parse(&form.mode)
            .ok_or_else(|| AppError::validation("mode", "Choose Test or Live."))?;
        let tax_behavior = TaxBehavior::parse(&form.tax_behavior).ok_or_else(|| {
            AppError::validation("tax_behavior", "Choose a tax billing behaviour.")
        })?;
        // With STRIPE_API_BASE set the form has no base field, and the row keeps its own.
        let form_base = match self.env.api_base {
            Some(_) => None,
            None => Some(self.parse_api_base(&form.api_base)?),
        };

        let mut tx = self.pool.begin().await.or_internal("begin settings save")?;
        let old = db::load_for_update(&mut tx)
            .await
            .or_internal("load stripe settings")?;
        let mut new = old.clone();
        new.enabled = form.enabled;
        new.mode = mode.as_str().to_owned();
        new.automatic_tax = form.automatic_tax;
        new.tax_id_collection = form.tax_id_collection;
        new.use_stripe_invoice_pdf = form.use_stripe_invoice_pdf;
        new.tax_behavior = tax_behavior.as_str().to_owned();
        if let Some(base) = form_base {
            new.api_base = base;
        }
        // A key entered now is bound to the base in force once this save is stored.
        let key_base = self.api_base(&new);

        let mut replaced = Vec::new();
        for (slot, publishable, secret, webhook) in [
            (
                StripeMode::Test,
                &form.test_publishable_key,
                &form.test_secret_key,
                &form.test_webhook_secret,
            ),
            (
                StripeMode::Live,
                &form.live_publishable_key,
                &form.live_secret_key,
                &form.live_webhook_secret,
            ),
        ] {
            if !publishable.trim().is_empty() {
                let key = validate_key(slot, KeyKind::Publishable, publishable)
                    .map_err(|m| AppError::validation(&column(slot, "publishable_key"), m))?;
                keys_of_mut(&mut new, slot).publishable_key = Some(key);
            }
            if !secret.trim().is_empty() {
                let key = validate_key(slot, KeyKind::Secret, secret)
                    .map_err(|m| AppError::validation(&column(slot, "secret_key"), m))?;
                self.store_secret(&mut new, slot, "secret_key", &key)?;
                keys_of_mut(&mut new, slot).secret_key_api_base = Some(key_base.clone());
                replaced.push(column(slot, "secret_key"));
            }
            if !webhook.trim().is_empty() {
                let key = validate_key(slot, KeyKind::WebhookSecret, webhook)
                    .map_err(|m| AppError::validation(&column(slot, "webhook_secret"), m))?;
                self.store_secret(&mut new, slot, "webhook_secret", &key)?;
                replaced.push(column(slot, "webhook_secret"));
            }
        }
        if new.api_base != old.api_base {
            for slot in [StripeMode::Test, StripeMode::Live] {
                let field = column(slot, "secret_key");
                if keys_of(&new, slot).secret_key.is_some() && !replaced.contains(&field) {
                    return Err(AppError::validation(
                        &field,
                        format!(
                            "The API base changed: enter the {} secret key again in this save. \
                             A stored key is only ever sent to the base it was saved for.",
                            slot.as_str()
                        ),
                    ));
                }
            }
        }
        if new.enabled && !self.has_secret_key(&new, mode) {
            return Err(AppError::validation(
                &column(mode, "secret_key"),
                format!(
                    "Add a {} secret key before enabling payments in {} mode.",
                    mode.as_str(),
                    mode.as_str()
                ),
            ));
        }

        let mut changed = changed_fields(&old, &new);
        changed.retain(|f| !replaced.contains(f));
        changed.extend(replaced);
        if !changed.is_empty() {
            db::save(&mut *tx, &new)
                .await
                .or_internal("save stripe settings")?;
            audit::record(
                &mut *tx,
                actor,
                "settings.stripe.updated",
                "stripe_settings",
                json!({ "fields": changed }),
            )
            .await
            .or_internal("audit settings change")?;
        }
        tx.commit().await.or_internal("commit settings save")?;
        let saved = db::load(self.pool)
            .await
            .or_internal("reload stripe settings")?;
        Ok(self.view_of(&saved))
    }

    fn store_secret(
        &self,
        row: &mut SettingsRow,
        mode: StripeMode,
        field: &str,
        value: &str,
    ) -> Result<(), AppError> {
        let secret = SecretString::from(value.to_owned());
        let sealed = self
            .cipher
            .seal(&column(mode, field), &secret)
            .or_internal("encrypt secret")?;
        let hint = Some(mask_key(value));
        let keys = keys_of_mut(row, mode);
        if field == "secret_key" {
            keys.secret_key = Some(sealed);
            keys.secret_key_hint = hint;
        } else {
            keys.webhook_secret = Some(sealed);
            keys.webhook_secret_hint = hint;
        }
        Ok(())
    }

    fn has_secret_key(&self, row: &SettingsRow, mode: StripeMode) -> bool {
        self.env.mode() == Some(mode) && self.env.secret_key.is_some()
            || keys_of(row, mode).secret_key.is_some()
    }

    /// The secret key for `mode` and the base it may be sent to: the environment's key with the
    /// environment's base, else the stored key, decrypted, with the base it was saved for. When
    /// the base in force is another, nothing is decrypted and the error says what to do. The
    /// messages name no URL: members see them too.
    fn secret_key(
        &self,
        row: &SettingsRow,
        mode: StripeMode,
    ) -> Result<(SecretString, String), AppError> {
        // The row's base was allowed when its keys were saved for it; a base later dropped
        // from PAYDESK_STRIPE_API_BASES keeps its keys until the admin picks another (or
        // STRIPE_API_BASE forces one), so code that builds its own StripeEnv still works.
        let base = self.api_base(row);
        if self.env.mode() == Some(mode) {
            if let Some(key) = &self.env.secret_key {
                let env_base = self.env.api_base.as_deref().unwrap_or(DEFAULT_API_BASE);
                if base != env_base {
                    return Err(AppError::Conflict(
                        "STRIPE_SECRET_KEY is only sent to the environment's API base \
                         (STRIPE_API_BASE, else Stripe's own): choose that base under \
                         Settings > Payment platform, or set STRIPE_API_BASE."
                            .into(),
                    ));
                }
                return Ok((key.clone(), base));
            }
        }
        let keys = keys_of(row, mode);
        let sealed = keys.secret_key.as_ref().ok_or_else(|| {
            AppError::Conflict(format!(
                "No {} secret key yet: add one under Settings > Payment platform.",
                mode.as_str()
            ))
        })?;
        if keys.secret_key_api_base.as_deref() != Some(base.as_str()) {
            tracing::warn!(
                mode = mode.as_str(),
                "stored secret key not used: it was saved for another API base"
            );
            return Err(AppError::Conflict(format!(
                "The {mode} secret key was saved for another Stripe API base and is not sent to \
                 this one: enter the {mode} secret key again under Settings > Payment platform.",
                mode = mode.as_str()
            )));
        }
        let key = self
            .cipher
            .open(&column(mode, "secret_key"), sealed)
            .or_internal("decrypt secret key")?;
        Ok((key, base))
    }

    /// Every configured webhook signing secret with its mode: the environment's for its mode,
    /// the stored ones (decrypted) otherwise. The settings row is read once, and only when
    /// the environment does not cover both modes.
    pub async fn webhook_secrets(&self) -> Result<Vec<(StripeMode, SecretString)>, AppError> {
        let env_mode = self
            .env
            .mode()
            .filter(|_| self.env.webhook_secret.is_some());
        let mut row = None;
        let mut out = Vec::new();
        for mode in [StripeMode::Test, StripeMode::Live] {
            if env_mode == Some(mode) {
                if let Some(secret) = &self.env.webhook_secret {
                    out.push((mode, secret.clone()));
                }
                continue;
            }
            if row.is_none() {
                row = Some(
                    db::load(self.pool)
                        .await
                        .or_internal("load stripe settings")?,
                );
            }
            if let Some(sealed) = row
                .as_ref()
                .and_then(|r| keys_of(r, mode).webhook_secret.as_ref())
            {
                let secret = self
                    .cipher
                    .open(&column(mode, "webhook_secret"), sealed)
                    .or_internal("decrypt webhook secret")?;
                out.push((mode, secret));
            }
        }
        Ok(out)
    }

    /// A Stripe client for the selected mode.
    pub async fn stripe(&self) -> Result<StripeApi, AppError> {
        self.stripe_in(None).await
    }

    /// A Stripe client for `mode`, whichever mode the console has selected: events of both
    /// modes are applied.
    pub async fn stripe_for(&self, mode: StripeMode) -> Result<StripeApi, AppError> {
        self.stripe_in(Some(mode)).await
    }

    async fn stripe_in(&self, mode: Option<StripeMode>) -> Result<StripeApi, AppError> {
        let row = db::load(self.pool)
            .await
            .or_internal("load stripe settings")?;
        let mode = mode.unwrap_or_else(|| StripeMode::parse(&row.mode).unwrap_or_default());
        let (key, base) = self.secret_key(&row, mode)?;
        if StripeMode::of_key(key.expose_secret()) != Some(mode) {
            return Err(AppError::Payment(format!(
                "The secret key in use is not a {} key: Stripe would act on the wrong data.",
                mode.as_str()
            )));
        }
        StripeApi::new(&base, &key).map_err(payment_error)
    }

    /// "Verify connection": calls Stripe with the selected mode's key and lists its products.
    pub async fn verify(&self) -> Result<ConnectionReport, AppError> {
        let api = self.stripe().await?;
        let products = api.list_products().await.map_err(connection_error)?;
        // The product list proved the key works; a key that may not read the account (a
        // restricted one) still passes, without the account's name.
        let account = match api.account().await {
            Ok(account) => Some(account),
            Err(StripeFailure::Authentication(_) | StripeFailure::NotFound(_)) => None,
            Err(e) => return Err(connection_error(e)),
        };
        Ok(ConnectionReport {
            account,
            mode: api.mode(),
            api_base: api.api_base().to_owned(),
            products: products
                .into_iter()
                .map(|p| RemoteProductSummary {
                    id: p.id,
                    name: p.name,
                    active: p.active,
                })
                .collect(),
        })
    }

    /// Creates the webhook endpoint in Stripe and stores its secret for the selected mode.
    pub async fn register_webhook(
        &self,
        actor: &Actor<'_>,
    ) -> Result<WebhookRegistration, AppError> {
        let api = self.stripe().await?;
        let url = self.webhook_url();
        let (endpoint_id, secret) = api
            .create_webhook_endpoint(&url)
            .await
            .map_err(payment_error)?;
        let mode = api.mode();
        let mut tx = self.pool.begin().await.or_internal("begin webhook save")?;
        let mut row = db::load_for_update(&mut tx)
            .await
            .or_internal("load stripe settings")?;
        self.store_secret(&mut row, mode, "webhook_secret", secret.expose_secret())?;
        db::save(&mut *tx, &row)
            .await
            .or_internal("save webhook secret")?;
        audit::record(
            &mut *tx,
            actor,
            "settings.stripe.webhook_registered",
            &endpoint_id,
            json!({ "fields": [column(mode, "webhook_secret")], "url": url }),
        )
        .await
        .or_internal("audit webhook registration")?;
        tx.commit().await.or_internal("commit webhook save")?;
        Ok(WebhookRegistration {
            endpoint_id,
            url,
            events: HANDLED_EVENTS.iter().map(|e| (*e).to_owned()).collect(),
            secret_hint: mask_key(secret.expose_secret()),
        })
    }
}

/// What members (and every caller but Verify) are told when a Stripe call fails.
pub const PAYMENTS_UNAVAILABLE: &str = "Payments are temporarily unavailable, try again later.";

/// A failed Stripe call as anyone may read it. Stripe's refusals of the request itself stay
/// (a declined card, a missing object); where Paydesk tried to connect, what the network said,
/// and problems with Paydesk's own key become [`PAYMENTS_UNAVAILABLE`], with the detail in the
/// log for the operator.
pub fn payment_error(failure: StripeFailure) -> AppError {
    match failure {
        StripeFailure::Rejected(_) | StripeFailure::NotFound(_) => {
            AppError::Payment(failure.to_string())
        }
        StripeFailure::Authentication(_) => {
            // Stripe's wording may quote part of the key; the log gets the kind only.
            tracing::error!("Stripe rejected Paydesk's secret key");
            AppError::Payment(PAYMENTS_UNAVAILABLE.to_owned())
        }
        StripeFailure::Network { .. } | StripeFailure::Unexpected(_) => {
            tracing::error!(failure = %failure, "Stripe call failed");
            AppError::Payment(PAYMENTS_UNAVAILABLE.to_owned())
        }
    }
}

/// A failed Stripe call for the admin pressing Verify, who needs to know which base did not
/// answer or why the key was refused. Never a key: `StripeFailure` carries none.
fn connection_error(failure: StripeFailure) -> AppError {
    AppError::Payment(failure.to_string())
}

/// Names of the non-secret fields that differ, for the audit log.
fn changed_fields(old: &SettingsRow, new: &SettingsRow) -> Vec<String> {
    let mut out = Vec::new();
    let mut check = |name: &str, differs: bool| {
        if differs {
            out.push(name.to_owned());
        }
    };
    check("enabled", old.enabled != new.enabled);
    check("mode", old.mode != new.mode);
    check(
        "test_publishable_key",
        old.test.publishable_key != new.test.publishable_key,
    );
    check(
        "live_publishable_key",
        old.live.publishable_key != new.live.publishable_key,
    );
    check("automatic_tax", old.automatic_tax != new.automatic_tax);
    check(
        "tax_id_collection",
        old.tax_id_collection != new.tax_id_collection,
    );
    check(
        "use_stripe_invoice_pdf",
        old.use_stripe_invoice_pdf != new.use_stripe_invoice_pdf,
    );
    check("tax_behavior", old.tax_behavior != new.tax_behavior);
    check("api_base", old.api_base != new.api_base);
    out
}

/// Re-encrypts every stored secret from `old` to `new` in one transaction, for
/// `paydesk secrets rotate`. Returns how many secrets were re-encrypted.
pub async fn rotate_master_key(
    pool: &PgPool,
    old: &SecretCipher,
    new: &SecretCipher,
) -> Result<usize, AppError> {
    let mut tx = pool.begin().await.or_internal("begin key rotation")?;
    let mut row = db::load_for_update(&mut tx)
        .await
        .or_internal("load stripe settings")?;
    let mut count = 0;
    for mode in [StripeMode::Test, StripeMode::Live] {
        let keys = keys_of_mut(&mut row, mode);
        for (field, slot) in [
            ("secret_key", &mut keys.secret_key),
            ("webhook_secret", &mut keys.webhook_secret),
        ] {
            if let Some(sealed) = slot.as_ref() {
                let name = column(mode, field);
                let plain = old.open(&name, sealed).map_err(|e| {
                    tracing::error!(column = %name, "{e}");
                    AppError::Conflict(format!("{name}: {e}"))
                })?;
                *slot = Some(new.seal(&name, &plain).or_internal("re-encrypt secret")?);
                count += 1;
            }
        }
    }
    db::save(&mut *tx, &row)
        .await
        .or_internal("save re-encrypted secrets")?;
    tx.commit().await.or_internal("commit key rotation")?;
    Ok(count)
}
