-- The durable inbox: every verified Stripe event, once. The webhook endpoint only inserts;
-- a worker applies pending events and records how that went.
CREATE TABLE stripe_events (
    id           text PRIMARY KEY CHECK (id LIKE 'evt\_%'),
    mode         text NOT NULL CHECK (mode IN ('test', 'live')),
    type         text NOT NULL,
    object_id    text,
    api_version  text,
    created      timestamptz NOT NULL,
    payload      jsonb NOT NULL,
    status       text NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'processed', 'failed', 'ignored')),
    attempts     integer NOT NULL DEFAULT 0,
    last_error   text,
    received_at  timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz
);

CREATE INDEX stripe_events_pending_idx ON stripe_events (received_at) WHERE status = 'pending';
CREATE INDEX stripe_events_object_idx ON stripe_events (object_id, created);
CREATE INDEX stripe_events_received_idx ON stripe_events (mode, received_at DESC);
