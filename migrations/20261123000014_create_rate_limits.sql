-- Abuse limits that every server process shares: one row per (scope, key) counts the hits of
-- its current window (sign-in failures per address, per account and per account+address,
-- sign-ups per address, a member's Stripe-calling requests). The statement that records a hit
-- also decides whether it is allowed, so parallel requests cannot all slip through.
--
-- UNLOGGED: counters are worth nothing after a crash, and a flood of sign-in attempts then
-- writes no WAL, so it never queues in front of the webhook inbox's commits.
CREATE UNLOGGED TABLE rate_limits (
    scope        text NOT NULL,
    key          text NOT NULL,
    hits         integer NOT NULL CHECK (hits >= 0),
    window_start timestamptz NOT NULL,
    last_hit_at  timestamptz NOT NULL,
    PRIMARY KEY (scope, key)
);

-- Pruning walks old rows by their last hit.
CREATE INDEX rate_limits_last_hit_idx ON rate_limits (last_hit_at);

-- Failures per email alone let anyone lock an account out; rate_limits keys them per address too.
DROP TABLE login_failures;
