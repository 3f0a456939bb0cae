-- Every Stripe-derived row carries the mode it belongs to, so test data never mixes with live.
CREATE TABLE products (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    mode              text NOT NULL CHECK (mode IN ('test', 'live')),
    kind              text NOT NULL CHECK (kind IN ('plan', 'top_up', 'one_time')),
    name              text NOT NULL CHECK (name <> ''),
    description       text NOT NULL DEFAULT '',
    active            boolean NOT NULL DEFAULT true,
    stripe_product_id text,
    metadata          jsonb NOT NULL DEFAULT '{}',
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (mode, stripe_product_id)
);

CREATE TABLE prices (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    product_id         uuid NOT NULL REFERENCES products (id),
    mode               text NOT NULL CHECK (mode IN ('test', 'live')),
    currency           text NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
    unit_amount        bigint NOT NULL CHECK (unit_amount >= 0),
    recurring_interval text CHECK (recurring_interval IN ('month', 'year')),
    interval_count     integer NOT NULL DEFAULT 1 CHECK (interval_count > 0),
    active             boolean NOT NULL DEFAULT true,
    stripe_price_id    text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (mode, stripe_price_id)
);

CREATE INDEX prices_product_idx ON prices (product_id);
