-- Checkout Sessions Paydesk opened for members. An open one is reused, so however often a
-- member clicks, they hold at most one open session per purchase (and so one subscription).
CREATE TABLE checkout_sessions (
    mode       text NOT NULL CHECK (mode IN ('test', 'live')),
    id         text NOT NULL CHECK (id LIKE 'cs\_%'),
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind IN ('plan', 'top_up', 'one_time', 'setup')),
    product_id uuid REFERENCES products (id),
    price_id   text,
    url        text NOT NULL,
    expires_at timestamptz NOT NULL,
    -- Set when Paydesk expires it (the member chose something else).
    closed_at  timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (mode, id)
);

CREATE INDEX checkout_sessions_member_idx ON checkout_sessions (mode, user_id, kind);
CREATE INDEX checkout_sessions_product_idx ON checkout_sessions (mode, product_id);
