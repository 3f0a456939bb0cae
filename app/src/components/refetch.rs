//! Reading a page again after an action Stripe confirms by webhook.

use leptos::prelude::*;
use std::time::Duration;

/// When to read again: Stripe's webhook usually lands within a second or two.
const AFTER_MS: [u64; 2] = [1500, 4000];

/// Bumps `version` (a resource's source) now and twice more shortly after, so the page shows
/// what the webhook brought without a reload.
pub fn read_again_soon(version: RwSignal<u32>) {
    version.update(|n| *n += 1);
    for ms in AFTER_MS {
        set_timeout(
            move || {
                version.try_update(|n| *n += 1);
            },
            Duration::from_millis(ms),
        );
    }
}
