//! Which of two states of one Stripe object is newer, whatever order their events came in.
//!
//! Stripe stamps events to the second and many happen in the same second (a Checkout creates
//! a subscription `incomplete` and makes it `active` at once), so `created` alone cannot
//! order them. Inside one second the event's `previous_attributes` prove which state came
//! first; failing that, the object's own progress (its rank) decides; failing that, Stripe is
//! asked for the object as it is now.

use serde_json::Value;

/// Where a stored state stands: the event that brought it, then how far along the object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    /// Stripe's `created` of the event, unix seconds.
    pub created: i64,
    /// A per-kind measure of progress: a subscription's status, a charge's refunded amount.
    pub rank: i64,
}

/// One state of an object: as stored, or as an event carries it.
#[derive(Debug, Clone, Copy)]
pub struct State<'a> {
    pub version: Version,
    pub object: &'a Value,
    /// The event's `previous_attributes`: what the changed top-level fields were before.
    pub previous: Option<&'a Value>,
    /// A state the object never leaves (a canceled subscription, a deleted customer).
    pub terminal: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The incoming state is newer: store it.
    Apply,
    /// The incoming state is the stored one, or older: keep what is stored.
    Keep,
    /// The two cannot be ordered from what they carry: ask Stripe for the object.
    Refetch,
}

pub fn judge(stored: Option<State<'_>>, incoming: State<'_>) -> Verdict {
    let Some(stored) = stored else {
        return Verdict::Apply;
    };
    if stored.object == incoming.object || (stored.terminal && !incoming.terminal) {
        return Verdict::Keep;
    }
    if incoming.version.created != stored.version.created {
        return if incoming.version.created > stored.version.created {
            Verdict::Apply
        } else {
            Verdict::Keep
        };
    }
    if follows(incoming, stored.object) {
        Verdict::Apply
    } else if follows(stored, incoming.object) {
        Verdict::Keep
    } else if incoming.version.rank != stored.version.rank {
        if incoming.version.rank > stored.version.rank {
            Verdict::Apply
        } else {
            Verdict::Keep
        }
    } else {
        Verdict::Refetch
    }
}

/// True when `before` is exactly the state `state`'s event changed: each field it names in
/// `previous_attributes` had that old value, and every other field is unchanged. Stripe sends
/// nested objects in `previous_attributes` partially for some fields; those never match, and
/// the caller falls back to rank or a fetch.
fn follows(state: State<'_>, before: &Value) -> bool {
    let (Some(previous), Some(after), Some(before)) = (
        state.previous.and_then(Value::as_object),
        state.object.as_object(),
        before.as_object(),
    ) else {
        return false;
    };
    let keys = after.keys().chain(before.keys()).chain(previous.keys());
    for key in keys {
        let expected = previous.get(key).or_else(|| after.get(key));
        if before.get(key) != expected {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn state<'a>(
        created: i64,
        rank: i64,
        object: &'a Value,
        previous: Option<&'a Value>,
    ) -> State<'a> {
        State {
            version: Version { created, rank },
            object,
            previous,
            terminal: false,
        }
    }

    #[test]
    fn nothing_stored_means_apply() {
        let o = json!({"status": "active"});
        assert_eq!(judge(None, state(1, 0, &o, None)), Verdict::Apply);
    }

    #[test]
    fn a_later_second_wins_and_an_earlier_one_loses() {
        let a = json!({"status": "active"});
        let b = json!({"status": "past_due"});
        assert_eq!(
            judge(Some(state(10, 2, &a, None)), state(11, 2, &b, None)),
            Verdict::Apply
        );
        assert_eq!(
            judge(Some(state(11, 2, &b, None)), state(10, 2, &a, None)),
            Verdict::Keep
        );
    }

    #[test]
    fn within_a_second_previous_attributes_prove_the_order_both_ways() {
        let first = json!({"status": "active", "cancel_at_period_end": false, "x": 1});
        let second = json!({"status": "active", "cancel_at_period_end": true, "x": 1});
        let prev = json!({"cancel_at_period_end": false});
        let s1 = state(10, 2, &first, None);
        let s2 = state(10, 2, &second, Some(&prev));
        assert_eq!(judge(Some(s1), s2), Verdict::Apply);
        assert_eq!(judge(Some(s2), s1), Verdict::Keep);
    }

    #[test]
    fn a_successor_of_another_branch_is_not_taken_for_ours() {
        // Two updates in one second from {a: 1, b: 1}, each changing one field.
        let u1 = json!({"a": 2, "b": 1});
        let u2 = json!({"a": 2, "b": 2});
        let p1 = json!({"a": 1});
        let p2 = json!({"b": 1});
        // u1 arriving after u2: u2 proves it follows u1.
        assert_eq!(
            judge(
                Some(state(10, 0, &u2, Some(&p2))),
                state(10, 0, &u1, Some(&p1))
            ),
            Verdict::Keep
        );
        // A state that matches neither chain nor rank is fetched.
        let other = json!({"a": 9, "b": 9});
        assert_eq!(
            judge(
                Some(state(10, 0, &u2, Some(&p2))),
                state(10, 0, &other, Some(&p1))
            ),
            Verdict::Refetch
        );
    }

    #[test]
    fn within_a_second_rank_decides_when_nothing_proves_the_order() {
        let incomplete = json!({"status": "incomplete"});
        let active = json!({"status": "active", "latest_invoice": "in_1"});
        assert_eq!(
            judge(
                Some(state(10, 2, &active, None)),
                state(10, 0, &incomplete, None)
            ),
            Verdict::Keep
        );
        assert_eq!(
            judge(
                Some(state(10, 0, &incomplete, None)),
                state(10, 2, &active, None)
            ),
            Verdict::Apply
        );
    }

    #[test]
    fn a_terminal_state_is_never_left() {
        let canceled = json!({"status": "canceled"});
        let active = json!({"status": "active"});
        let mut stored = state(10, 5, &canceled, None);
        stored.terminal = true;
        assert_eq!(
            judge(Some(stored), state(99, 2, &active, None)),
            Verdict::Keep
        );
    }

    #[test]
    fn the_same_state_again_changes_nothing() {
        let a = json!({"status": "active"});
        assert_eq!(
            judge(Some(state(10, 2, &a, None)), state(12, 2, &a, None)),
            Verdict::Keep
        );
    }
}
