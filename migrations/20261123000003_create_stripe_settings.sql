-- One row: the payment platform settings an admin edits under Settings > Payment platform.
-- Secret keys and webhook secrets are AES-256-GCM ciphertexts (nonce || sealed bytes) under
-- PAYDESK_MASTER_KEY; the *_hint columns keep only what the form may show (`sk_test_...abcd`).
CREATE TABLE stripe_settings (
    id                        boolean PRIMARY KEY DEFAULT true CHECK (id),
    enabled                   boolean NOT NULL DEFAULT false,
    mode                      text NOT NULL DEFAULT 'test' CHECK (mode IN ('test', 'live')),
    test_publishable_key      text,
    test_secret_key           bytea,
    test_secret_key_hint      text,
    test_webhook_secret       bytea,
    test_webhook_secret_hint  text,
    live_publishable_key      text,
    live_secret_key           bytea,
    live_secret_key_hint      text,
    live_webhook_secret       bytea,
    live_webhook_secret_hint  text,
    automatic_tax             boolean NOT NULL DEFAULT false,
    tax_id_collection         boolean NOT NULL DEFAULT false,
    use_stripe_invoice_pdf    boolean NOT NULL DEFAULT false,
    tax_behavior              text NOT NULL DEFAULT 'bypass'
                              CHECK (tax_behavior IN ('bypass', 'require_billing_address')),
    api_base                  text,
    updated_at                timestamptz NOT NULL DEFAULT now()
);

INSERT INTO stripe_settings DEFAULT VALUES;

-- Who changed what and when. `details` names fields, never a secret's value.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_id    uuid REFERENCES users (id) ON DELETE SET NULL,
    actor_email text NOT NULL,
    action      text NOT NULL,
    target      text NOT NULL DEFAULT '',
    details     jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX audit_log_created_idx ON audit_log (created_at DESC, id DESC);

-- Catalog sync: what Paydesk last pushed to or pulled from Stripe.
ALTER TABLE products
    ADD COLUMN image_url      text NOT NULL DEFAULT '',
    -- Manual Stripe tax rates (txr_...) applied to every purchase of the product.
    ADD COLUMN tax_rate_ids   text[] NOT NULL DEFAULT '{}',
    ADD COLUMN synced_at      timestamptz,
    ADD COLUMN updated_at     timestamptz NOT NULL DEFAULT now();

-- A price whose amount changed is archived (active = false) and keeps its Stripe ID, so
-- subscriptions on it still resolve; `replaced_by` points at its successor.
ALTER TABLE prices
    ADD COLUMN replaced_by uuid REFERENCES prices (id),
    ADD COLUMN lookup_key  text;

CREATE INDEX prices_stripe_idx ON prices (stripe_price_id) WHERE stripe_price_id IS NOT NULL;
