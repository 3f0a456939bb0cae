-- What Stripe's events leave behind. `stripe_objects` keeps each object as Stripe last said
-- with the version it was written at, so an older event arriving late never overwrites a
-- newer state; the typed tables below are projections of it that pages and access read.

-- The worker's bookkeeping on the inbox.
ALTER TABLE stripe_events
    ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN processing_ms   integer;

DROP INDEX stripe_events_pending_idx;
CREATE INDEX stripe_events_due_idx ON stripe_events (next_attempt_at) WHERE status = 'pending';
CREATE INDEX stripe_events_status_idx ON stripe_events (mode, status, received_at DESC);

CREATE TABLE stripe_objects (
    mode          text NOT NULL CHECK (mode IN ('test', 'live')),
    id            text NOT NULL,
    kind          text NOT NULL,
    object        jsonb NOT NULL,
    -- The `previous_attributes` of the event that wrote it: proves which state came before.
    previous      jsonb,
    -- Stripe's `created` of that event (or of the event that led to a fetch), then a
    -- per-kind measure of progress (a subscription's status, a charge's refunded amount).
    event_created bigint NOT NULL,
    rank          bigint NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (mode, id)
);

-- A customer row may exist before its object: a subscription can name a customer Paydesk has
-- not heard of yet.
CREATE TABLE customers (
    mode                   text NOT NULL CHECK (mode IN ('test', 'live')),
    id                     text NOT NULL CHECK (id LIKE 'cus\_%'),
    user_id                uuid REFERENCES users (id) ON DELETE SET NULL,
    email                  text,
    name                   text,
    address                jsonb,
    -- Stripe Tax's verdict on the address: supported, not_collecting, unrecognized_location...
    tax_location           text,
    tax_ids                jsonb NOT NULL DEFAULT '[]',
    default_payment_method text,
    deleted                boolean NOT NULL DEFAULT false,
    updated_at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (mode, id)
);

CREATE INDEX customers_user_idx ON customers (user_id) WHERE user_id IS NOT NULL;

CREATE TABLE subscriptions (
    mode                 text NOT NULL CHECK (mode IN ('test', 'live')),
    id                   text NOT NULL CHECK (id LIKE 'sub\_%'),
    customer_id          text NOT NULL,
    status               text NOT NULL,
    price_id             text,
    quantity             bigint NOT NULL DEFAULT 1,
    current_period_start timestamptz,
    current_period_end   timestamptz,
    cancel_at_period_end boolean NOT NULL DEFAULT false,
    cancel_at            timestamptz,
    canceled_at          timestamptz,
    ended_at             timestamptz,
    trial_end            timestamptz,
    latest_invoice       text,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (mode, id),
    FOREIGN KEY (mode, customer_id) REFERENCES customers (mode, id)
);

CREATE INDEX subscriptions_customer_idx ON subscriptions (mode, customer_id);

CREATE TABLE invoices (
    mode               text NOT NULL CHECK (mode IN ('test', 'live')),
    id                 text NOT NULL CHECK (id LIKE 'in\_%'),
    customer_id        text NOT NULL,
    subscription_id    text,
    status             text NOT NULL,
    number             text,
    currency           text NOT NULL,
    subtotal           bigint NOT NULL DEFAULT 0,
    tax                bigint NOT NULL DEFAULT 0,
    total              bigint NOT NULL DEFAULT 0,
    amount_due         bigint NOT NULL DEFAULT 0,
    amount_paid        bigint NOT NULL DEFAULT 0,
    hosted_invoice_url text,
    invoice_pdf        text,
    -- The action an unpaid invoice waits for: 'fix_payment' or 'authenticate'.
    attention          text CHECK (attention IN ('fix_payment', 'authenticate')),
    created            timestamptz NOT NULL,
    paid_at            timestamptz,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (mode, id),
    FOREIGN KEY (mode, customer_id) REFERENCES customers (mode, id)
);

CREATE INDEX invoices_customer_idx ON invoices (mode, customer_id, created DESC);

CREATE TABLE payment_methods (
    mode        text NOT NULL CHECK (mode IN ('test', 'live')),
    id          text NOT NULL CHECK (id LIKE 'pm\_%' OR id LIKE 'card\_%'),
    customer_id text,
    brand       text,
    last4       text,
    exp_month   integer,
    exp_year    integer,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (mode, id)
);

CREATE INDEX payment_methods_customer_idx ON payment_methods (mode, customer_id);

-- Payment intents and their charges' refunds, in one row per payment.
CREATE TABLE payments (
    mode            text NOT NULL CHECK (mode IN ('test', 'live')),
    id              text NOT NULL CHECK (id LIKE 'pi\_%'),
    customer_id     text,
    invoice_id      text,
    status          text NOT NULL,
    currency        text NOT NULL,
    amount          bigint NOT NULL,
    amount_received bigint NOT NULL DEFAULT 0,
    amount_refunded bigint NOT NULL DEFAULT 0,
    latest_charge   text,
    failure_message text,
    created         timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (mode, id)
);

CREATE INDEX payments_customer_idx ON payments (mode, customer_id, created DESC);

-- One row per completed Checkout: what the member bought.
CREATE TABLE purchases (
    mode            text NOT NULL CHECK (mode IN ('test', 'live')),
    checkout_id     text NOT NULL CHECK (checkout_id LIKE 'cs\_%'),
    user_id         uuid REFERENCES users (id) ON DELETE SET NULL,
    customer_id     text,
    kind            text NOT NULL CHECK (kind IN ('plan', 'top_up', 'one_time')),
    product_id      uuid REFERENCES products (id),
    price_id        text,
    subscription_id text,
    payment_id      text,
    currency        text,
    amount_total    bigint NOT NULL DEFAULT 0,
    created         timestamptz NOT NULL,
    PRIMARY KEY (mode, checkout_id)
);

CREATE INDEX purchases_user_idx ON purchases (user_id, created DESC);

-- Time bought with top-ups: one row per payment (a Checkout or a renewal invoice), so a
-- redelivered or replayed event never extends twice. Paid-until is folded from these rows in
-- payment order when access is read, so the order events arrive in cannot change it.
CREATE TABLE top_up_credits (
    mode         text NOT NULL CHECK (mode IN ('test', 'live')),
    source_id    text NOT NULL,
    customer_id  text NOT NULL,
    product_id   uuid REFERENCES products (id),
    account_type text NOT NULL,
    months       integer NOT NULL CHECK (months > 0),
    paid_at      timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (mode, source_id),
    FOREIGN KEY (mode, customer_id) REFERENCES customers (mode, id)
);

CREATE INDEX top_up_credits_customer_idx ON top_up_credits (mode, customer_id, paid_at);
