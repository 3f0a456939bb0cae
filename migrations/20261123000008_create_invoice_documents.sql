-- What an invoice says, as Stripe finalised it: enough to render and list it without asking
-- Stripe. Lines, discounts and taxes are small arrays read and written whole.
ALTER TABLE invoices
    ADD COLUMN lines            jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN discounts        jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN tax_lines        jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN period_start     timestamptz,
    ADD COLUMN period_end       timestamptz,
    ADD COLUMN due_date         timestamptz,
    ADD COLUMN payment_intent   text,
    ADD COLUMN customer_name    text,
    ADD COLUMN customer_email   text,
    ADD COLUMN customer_address jsonb,
    ADD COLUMN customer_tax_ids jsonb NOT NULL DEFAULT '[]';

-- Keyset pages: newest first, the id breaking ties.
DROP INDEX invoices_customer_idx;
CREATE INDEX invoices_customer_idx ON invoices (mode, customer_id, created DESC, id DESC);
CREATE INDEX invoices_created_idx ON invoices (mode, created DESC, id DESC);
CREATE INDEX invoices_status_idx ON invoices (mode, status, created DESC, id DESC);
CREATE INDEX invoices_payment_idx ON invoices (mode, payment_intent) WHERE payment_intent IS NOT NULL;

-- Tax rates as Stripe describes them; a rate's percentage never changes once created, so one
-- fetch per rate is enough. The percentage is kept as Stripe's decimal text, never a float.
CREATE TABLE tax_rates (
    mode         text NOT NULL CHECK (mode IN ('test', 'live')),
    id           text NOT NULL CHECK (id LIKE 'txr\_%'),
    display_name text NOT NULL,
    percentage   text NOT NULL,
    inclusive    boolean NOT NULL,
    jurisdiction text,
    country      text,
    state        text,
    PRIMARY KEY (mode, id)
);

ALTER TABLE payments ADD COLUMN payment_method text;
DROP INDEX payments_customer_idx;
CREATE INDEX payments_customer_idx ON payments (mode, customer_id, created DESC, id DESC);
CREATE INDEX payments_created_idx ON payments (mode, created DESC, id DESC);

CREATE TABLE refunds (
    mode       text NOT NULL CHECK (mode IN ('test', 'live')),
    id         text NOT NULL CHECK (id LIKE 're\_%' OR id LIKE 'pyr\_%'),
    payment_id text,
    charge_id  text,
    status     text NOT NULL,
    currency   text NOT NULL,
    amount     bigint NOT NULL CHECK (amount >= 0),
    reason     text,
    created    timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (mode, id)
);

CREATE INDEX refunds_payment_idx ON refunds (mode, payment_id, created);

-- The seller block of Paydesk's own invoice PDFs (one row, edited under Settings).
CREATE TABLE invoice_profile (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    name       text NOT NULL DEFAULT '',
    email      text NOT NULL DEFAULT '',
    address    text NOT NULL DEFAULT '',
    tax_id     text NOT NULL DEFAULT '',
    logo_png   bytea,
    updated_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO invoice_profile DEFAULT VALUES;

-- Receipt emails: one row per paid invoice, written by the event worker in the transaction
-- that applies `invoice.paid`, sent by the mailer; a redelivered event finds the row there.
CREATE TABLE receipts (
    mode            text NOT NULL CHECK (mode IN ('test', 'live')),
    invoice_id      text NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    sent_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (mode, invoice_id)
);

CREATE INDEX receipts_due_idx ON receipts (next_attempt_at) WHERE status = 'pending';

-- REST API tokens: only a SHA-256 of the secret is kept; the prefix lets people tell tokens
-- apart. A member token acts as that member; an admin token as the admin role.
CREATE TABLE api_tokens (
    id           uuid PRIMARY KEY,
    name         text NOT NULL,
    prefix       text NOT NULL,
    secret_hash  bytea NOT NULL UNIQUE,
    scope        text NOT NULL CHECK (scope IN ('admin', 'member')),
    member_id    uuid REFERENCES users (id) ON DELETE CASCADE,
    created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz,
    CHECK ((scope = 'member') = (member_id IS NOT NULL))
);

CREATE INDEX api_tokens_created_idx ON api_tokens (created_at DESC);
