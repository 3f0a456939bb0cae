//! `GET /v1/account`: the account the key belongs to, so "verify connection" screens can name it.
//! One fixed test-mode account per emulator.

use super::Ctx;
use crate::error::ApiResult;
use serde_json::{json, Value};

pub const ACCOUNT_ID: &str = "acct_1EmulatorPaydesk00";

pub fn retrieve(ctx: &mut Ctx<'_>) -> ApiResult<Value> {
    Ok(json!({
        "id": ACCOUNT_ID,
        "object": "account",
        "business_profile": {
            "name": "Stripe emulator",
            "support_email": null,
            "url": null,
        },
        "business_type": "company",
        "capabilities": { "card_payments": "active", "transfers": "active" },
        "charges_enabled": true,
        "controller": { "type": "account" },
        "country": "US",
        "created": ctx.state.now(),
        "default_currency": "usd",
        "details_submitted": true,
        "email": "emulator@paydesk.test",
        "metadata": {},
        "payouts_enabled": true,
        "settings": { "dashboard": { "display_name": "Stripe emulator", "timezone": "Etc/UTC" } },
        "type": "standard",
    }))
}
