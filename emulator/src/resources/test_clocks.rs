//! Test clocks: customers created on a clock live at its frozen time; advancing it bills
//! whatever fell due in between, as Stripe's test clocks do.

use serde_json::{json, Value};

use super::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::events::emit;
use crate::ids::new_id;
use crate::list;
use crate::params::Params;
use crate::state::{require, require_mut};

pub fn create(ctx: &mut Ctx<'_>, p: &Params) -> ApiResult<Value> {
    let frozen = p
        .int("frozen_time")?
        .ok_or_else(|| ApiError::missing_param("frozen_time"))?;
    let now = ctx.now();
    let clock = json!({
        "id": new_id("clock"),
        "object": "test_helpers.test_clock",
        "created": now,
        "deletes_after": now + 30 * 24 * 3600,
        "frozen_time": frozen,
        "livemode": false,
        "name": p.str("name"),
        "status": "ready",
        "status_details": {},
    });
    ctx.state.test_clocks.insert(clock.clone());
    emit(ctx.state, "test_helpers.test_clock.created", &clock, None);
    Ok(clock)
}

pub fn retrieve(ctx: &mut Ctx<'_>, id: &str) -> ApiResult<Value> {
    require(&ctx.state.test_clocks, "test_clock", id, "test_clock").cloned()
}

pub fn list(ctx: &mut Ctx<'_>, p: &Params) -> ApiResult<Value> {
    let items = ctx.state.test_clocks.newest_first().cloned().collect();
    list::paginate(items, p, "/v1/test_helpers/test_clocks")
}

/// Deleting a clock deletes its customers and their subscriptions, as Stripe does.
pub fn delete(ctx: &mut Ctx<'_>, id: &str) -> ApiResult<Value> {
    require(&ctx.state.test_clocks, "test_clock", id, "test_clock")?;
    let customers: Vec<String> = ctx
        .state
        .customers
        .newest_first()
        .filter(|c| c["test_clock"].as_str() == Some(id))
        .filter_map(|c| c["id"].as_str().map(str::to_owned))
        .collect();
    for customer in customers {
        super::customers::delete(ctx, &customer)?;
    }
    ctx.state.test_clocks.remove(id);
    Ok(json!({ "id": id, "object": "test_helpers.test_clock", "deleted": true }))
}

/// Advancing is instantaneous here; Stripe answers `advancing` and finishes later, so the clock
/// is returned `ready` and `test_helpers.test_clock.ready` is emitted at once.
pub fn advance(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> ApiResult<Value> {
    let target = p
        .int("frozen_time")?
        .ok_or_else(|| ApiError::missing_param("frozen_time"))?;
    let clock = require_mut(&mut ctx.state.test_clocks, "test_clock", id, "test_clock")?;
    let current = clock["frozen_time"].as_i64().unwrap_or(0);
    if target <= current {
        return Err(ApiError::invalid_request(
            "The frozen_time must be after the test clock's current frozen time.",
            Some("frozen_time"),
        ));
    }
    clock["frozen_time"] = json!(target);
    emit_clock(ctx, id, "test_helpers.test_clock.advancing");
    crate::billing::run_due_renewals(ctx.state, Some(id), ctx.base_url);
    emit_clock(ctx, id, "test_helpers.test_clock.ready");
    require(&ctx.state.test_clocks, "test_clock", id, "test_clock").cloned()
}

fn emit_clock(ctx: &mut Ctx<'_>, id: &str, event: &str) {
    if let Some(clock) = ctx.state.test_clocks.get(id).cloned() {
        emit(ctx.state, event, &clock, None);
    }
}
