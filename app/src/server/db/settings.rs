//! The single `stripe_settings` row. Secret columns hold ciphertext (see `server::crypto`).

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool};

/// The row as stored; secret fields are sealed bytes.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SettingsRow {
    pub enabled: bool,
    pub mode: String,
    pub test: KeyColumns,
    pub live: KeyColumns,
    pub automatic_tax: bool,
    pub tax_id_collection: bool,
    pub use_stripe_invoice_pdf: bool,
    pub tax_behavior: String,
    pub api_base: Option<String>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, PartialEq, Eq, Default)]
pub struct KeyColumns {
    pub publishable_key: Option<String>,
    pub secret_key: Option<Vec<u8>>,
    pub secret_key_hint: Option<String>,
    /// The API base the secret key was saved for: the only one it may be sent to.
    pub secret_key_api_base: Option<String>,
    pub webhook_secret: Option<Vec<u8>>,
    pub webhook_secret_hint: Option<String>,
}

/// Ciphertext is never worth printing.
impl std::fmt::Debug for SettingsRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SettingsRow")
            .field("mode", &self.mode)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

pub async fn load(db: impl PgExecutor<'_>) -> Result<SettingsRow, sqlx::Error> {
    let r = sqlx::query!(
        r#"SELECT enabled, mode, test_publishable_key, test_secret_key, test_secret_key_hint,
                  test_webhook_secret, test_webhook_secret_hint, live_publishable_key,
                  live_secret_key, live_secret_key_hint, live_webhook_secret,
                  live_webhook_secret_hint, automatic_tax, tax_id_collection,
                  use_stripe_invoice_pdf, tax_behavior, api_base, test_secret_key_api_base,
                  live_secret_key_api_base, updated_at AS "updated_at: DateTime<Utc>"
           FROM stripe_settings"#
    )
    .fetch_one(db)
    .await?;
    Ok(SettingsRow {
        enabled: r.enabled,
        mode: r.mode,
        test: KeyColumns {
            publishable_key: r.test_publishable_key,
            secret_key: r.test_secret_key,
            secret_key_hint: r.test_secret_key_hint,
            secret_key_api_base: r.test_secret_key_api_base,
            webhook_secret: r.test_webhook_secret,
            webhook_secret_hint: r.test_webhook_secret_hint,
        },
        live: KeyColumns {
            publishable_key: r.live_publishable_key,
            secret_key: r.live_secret_key,
            secret_key_hint: r.live_secret_key_hint,
            secret_key_api_base: r.live_secret_key_api_base,
            webhook_secret: r.live_webhook_secret,
            webhook_secret_hint: r.live_webhook_secret_hint,
        },
        automatic_tax: r.automatic_tax,
        tax_id_collection: r.tax_id_collection,
        use_stripe_invoice_pdf: r.use_stripe_invoice_pdf,
        tax_behavior: r.tax_behavior,
        api_base: r.api_base,
        updated_at: r.updated_at,
    })
}

/// Locks the row for a read-modify-write.
pub async fn load_for_update(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
) -> Result<SettingsRow, sqlx::Error> {
    sqlx::query!("SELECT id FROM stripe_settings FOR UPDATE")
        .fetch_one(&mut **tx)
        .await?;
    load(&mut **tx).await
}

pub async fn save(db: impl PgExecutor<'_>, s: &SettingsRow) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE stripe_settings SET
            enabled = $1, mode = $2,
            test_publishable_key = $3, test_secret_key = $4, test_secret_key_hint = $5,
            test_webhook_secret = $6, test_webhook_secret_hint = $7,
            live_publishable_key = $8, live_secret_key = $9, live_secret_key_hint = $10,
            live_webhook_secret = $11, live_webhook_secret_hint = $12,
            automatic_tax = $13, tax_id_collection = $14, use_stripe_invoice_pdf = $15,
            tax_behavior = $16, api_base = $17,
            test_secret_key_api_base = $18, live_secret_key_api_base = $19, updated_at = now()",
        s.enabled,
        s.mode,
        s.test.publishable_key,
        s.test.secret_key,
        s.test.secret_key_hint,
        s.test.webhook_secret,
        s.test.webhook_secret_hint,
        s.live.publishable_key,
        s.live.secret_key,
        s.live.secret_key_hint,
        s.live.webhook_secret,
        s.live.webhook_secret_hint,
        s.automatic_tax,
        s.tax_id_collection,
        s.use_stripe_invoice_pdf,
        s.tax_behavior,
        s.api_base,
        s.test.secret_key_api_base,
        s.live.secret_key_api_base,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The mode the catalog and member pages work in.
pub async fn current_mode(pool: &PgPool) -> Result<String, sqlx::Error> {
    sqlx::query_scalar!("SELECT mode FROM stripe_settings")
        .fetch_one(pool)
        .await
}
