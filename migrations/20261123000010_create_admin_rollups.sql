-- The admin console at a million members: what the dashboard reads is kept up to date by
-- triggers as the worker writes Stripe's state, so a figure is a lookup, never a scan.

-- What a subscription is worth: its recurring amount over a year after discounts, in minor
-- units of its currency. A year is exact for monthly and yearly prices, so MRR (a twelfth
-- of the total) is rounded once, on the sum, not per subscription.
ALTER TABLE subscriptions
    ADD COLUMN created       timestamptz,
    ADD COLUMN currency      text,
    ADD COLUMN annual_amount bigint NOT NULL DEFAULT 0,
    ADD COLUMN product_id    uuid REFERENCES products (id) ON DELETE SET NULL;

UPDATE subscriptions s
   SET created = to_timestamp((o.object ->> 'created')::bigint),
       currency = o.object ->> 'currency'
  FROM stripe_objects o
 WHERE o.mode = s.mode AND o.id = s.id;

UPDATE subscriptions SET created = updated_at WHERE created IS NULL;
ALTER TABLE subscriptions ALTER COLUMN created SET NOT NULL;

UPDATE subscriptions s
   SET product_id = p.product_id
  FROM prices p
 WHERE p.mode = s.mode AND p.stripe_price_id = s.price_id;

CREATE INDEX subscriptions_created_idx ON subscriptions (mode, created DESC, id DESC);
CREATE INDEX subscriptions_status_idx ON subscriptions (mode, status, created DESC, id DESC);
CREATE INDEX subscriptions_product_idx ON subscriptions (mode, product_id, created DESC, id DESC);
-- Canceling: still active, set to end with the period; a few percent of the active ones.
CREATE INDEX subscriptions_canceling_idx ON subscriptions (mode, created DESC, id DESC)
    WHERE status = 'active' AND cancel_at_period_end;

-- How many tries Stripe has made at an unpaid invoice and when it tries next.
ALTER TABLE invoices
    ADD COLUMN attempt_count        integer NOT NULL DEFAULT 0,
    ADD COLUMN next_payment_attempt timestamptz;

-- The member search: part of an email or a name.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX users_email_trgm_idx ON users USING gin (email gin_trgm_ops);
CREATE INDEX users_name_trgm_idx ON users USING gin (name gin_trgm_ops);
CREATE INDEX customers_tax_unrecognized_idx ON customers (mode, user_id)
    WHERE tax_location = 'unrecognized_location';

-- Subscriptions per mode, status and currency, with their annual amounts.
CREATE TABLE subscription_totals (
    mode          text NOT NULL,
    status        text NOT NULL,
    currency      text NOT NULL,
    subscriptions bigint NOT NULL,
    annual_amount bigint NOT NULL,
    PRIMARY KEY (mode, status, currency)
);

-- Subscriptions started and ended per calendar month (UTC).
CREATE TABLE subscription_months (
    mode    text NOT NULL,
    month   date NOT NULL,
    started bigint NOT NULL,
    ended   bigint NOT NULL,
    PRIMARY KEY (mode, month)
);

-- Money collected and refunded per calendar month (UTC) of the payment, per currency.
CREATE TABLE revenue_months (
    mode     text NOT NULL,
    month    date NOT NULL,
    currency text NOT NULL,
    received bigint NOT NULL,
    refunded bigint NOT NULL,
    PRIMARY KEY (mode, month, currency)
);

CREATE FUNCTION utc_month(t timestamptz) RETURNS date LANGUAGE sql IMMUTABLE AS $$
    SELECT date_trunc('month', t AT TIME ZONE 'UTC')::date
$$;

-- A subscription that never got paid for (incomplete) did not start.
CREATE FUNCTION subscription_started(status text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT status NOT IN ('incomplete', 'incomplete_expired')
$$;

-- Each trigger takes the old row's share out and puts the new row's in. A transaction that
-- changes several subscriptions would take the rollup rows' locks in its own order and could
-- deadlock with another worker's, so the first rollup write of a transaction takes one
-- transaction-level advisory lock: rollup writes queue, one transaction at a time, from that
-- write to commit. The worker locks its objects before writing anything, so nothing it waits
-- for afterwards can be held by a transaction queued here.
CREATE FUNCTION lock_admin_rollups() RETURNS void LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(7215080101)
$$;

CREATE FUNCTION count_subscription() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lock_admin_rollups();
    INSERT INTO subscription_totals AS t (mode, status, currency, subscriptions, annual_amount)
    SELECT d.mode, d.status, d.currency, sum(d.n), sum(d.amount)
      FROM (SELECT OLD.mode, OLD.status, COALESCE(OLD.currency, ''), -1, -OLD.annual_amount
             WHERE TG_OP <> 'INSERT'
            UNION ALL
            SELECT NEW.mode, NEW.status, COALESCE(NEW.currency, ''), 1, NEW.annual_amount
             WHERE TG_OP <> 'DELETE') AS d (mode, status, currency, n, amount)
     GROUP BY 1, 2, 3
    HAVING sum(d.n) <> 0 OR sum(d.amount) <> 0
     ORDER BY 1, 2, 3
    ON CONFLICT (mode, status, currency) DO UPDATE
       SET subscriptions = t.subscriptions + excluded.subscriptions,
           annual_amount = t.annual_amount + excluded.annual_amount;

    INSERT INTO subscription_months AS m (mode, month, started, ended)
    SELECT d.mode, d.month, sum(d.started), sum(d.ended)
      FROM (SELECT OLD.mode, utc_month(OLD.created), -1, 0
             WHERE TG_OP <> 'INSERT' AND OLD.created IS NOT NULL
               AND subscription_started(OLD.status)
            UNION ALL
            SELECT OLD.mode, utc_month(OLD.ended_at), 0, -1
             WHERE TG_OP <> 'INSERT' AND OLD.ended_at IS NOT NULL
               AND subscription_started(OLD.status)
            UNION ALL
            SELECT NEW.mode, utc_month(NEW.created), 1, 0
             WHERE TG_OP <> 'DELETE' AND NEW.created IS NOT NULL
               AND subscription_started(NEW.status)
            UNION ALL
            SELECT NEW.mode, utc_month(NEW.ended_at), 0, 1
             WHERE TG_OP <> 'DELETE' AND NEW.ended_at IS NOT NULL
               AND subscription_started(NEW.status)) AS d (mode, month, started, ended)
     GROUP BY 1, 2
    HAVING sum(d.started) <> 0 OR sum(d.ended) <> 0
     ORDER BY 1, 2
    ON CONFLICT (mode, month) DO UPDATE
       SET started = m.started + excluded.started, ended = m.ended + excluded.ended;
    RETURN NULL;
END;
$$;

CREATE TRIGGER subscriptions_count_insert_delete
    AFTER INSERT OR DELETE ON subscriptions
    FOR EACH ROW EXECUTE FUNCTION count_subscription();
CREATE TRIGGER subscriptions_count_update
    AFTER UPDATE ON subscriptions
    FOR EACH ROW
    WHEN ((OLD.status, OLD.currency, OLD.annual_amount, OLD.created, OLD.ended_at)
          IS DISTINCT FROM (NEW.status, NEW.currency, NEW.annual_amount, NEW.created, NEW.ended_at))
    EXECUTE FUNCTION count_subscription();

CREATE FUNCTION count_revenue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lock_admin_rollups();
    INSERT INTO revenue_months AS r (mode, month, currency, received, refunded)
    SELECT d.mode, d.month, d.currency, sum(d.received), sum(d.refunded)
      FROM (SELECT OLD.mode, utc_month(OLD.created), OLD.currency,
                   -OLD.amount_received, -OLD.amount_refunded
             WHERE TG_OP <> 'INSERT'
            UNION ALL
            SELECT NEW.mode, utc_month(NEW.created), NEW.currency,
                   NEW.amount_received, NEW.amount_refunded
             WHERE TG_OP <> 'DELETE') AS d (mode, month, currency, received, refunded)
     GROUP BY 1, 2, 3
    HAVING sum(d.received) <> 0 OR sum(d.refunded) <> 0
     ORDER BY 1, 2, 3
    ON CONFLICT (mode, month, currency) DO UPDATE
       SET received = r.received + excluded.received,
           refunded = r.refunded + excluded.refunded;
    RETURN NULL;
END;
$$;

CREATE TRIGGER payments_count_insert_delete
    AFTER INSERT OR DELETE ON payments
    FOR EACH ROW EXECUTE FUNCTION count_revenue();
CREATE TRIGGER payments_count_update
    AFTER UPDATE ON payments
    FOR EACH ROW
    WHEN ((OLD.created, OLD.currency, OLD.amount_received, OLD.amount_refunded)
          IS DISTINCT FROM (NEW.created, NEW.currency, NEW.amount_received, NEW.amount_refunded))
    EXECUTE FUNCTION count_revenue();

-- Recounts every rollup from the rows: after a bulk load made with the triggers off (the demo
-- seed), and once here for the rows that existed before them.
CREATE FUNCTION rebuild_admin_rollups() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM subscription_totals;
    INSERT INTO subscription_totals
    SELECT mode, status, COALESCE(currency, ''), count(*), sum(annual_amount)
      FROM subscriptions GROUP BY 1, 2, 3;

    DELETE FROM subscription_months;
    INSERT INTO subscription_months
    SELECT mode, month, sum(started), sum(ended)
      FROM (SELECT mode, utc_month(created) AS month, 1 AS started, 0 AS ended
              FROM subscriptions
             WHERE created IS NOT NULL AND subscription_started(status)
            UNION ALL
            SELECT mode, utc_month(ended_at), 0, 1
              FROM subscriptions
             WHERE ended_at IS NOT NULL AND subscription_started(status)) AS d
     GROUP BY 1, 2;

    DELETE FROM revenue_months;
    INSERT INTO revenue_months
    SELECT mode, utc_month(created), currency, sum(amount_received), sum(amount_refunded)
      FROM payments GROUP BY 1, 2, 3;
END;
$$;

SELECT rebuild_admin_rollups();

-- Time an admin gave a member by hand: access until `until` in that mode.
CREATE TABLE access_grants (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mode       text NOT NULL CHECK (mode IN ('test', 'live')),
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    until      timestamptz NOT NULL,
    reason     text NOT NULL CHECK (reason <> ''),
    granted_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX access_grants_user_idx ON access_grants (user_id, mode, until DESC);

-- An admin's invitation of another admin: the link's secret is shown once, its hash kept.
CREATE TABLE admin_invites (
    id          uuid PRIMARY KEY,
    email       text NOT NULL CHECK (email = lower(email) AND email <> ''),
    token_hash  bytea NOT NULL UNIQUE,
    invited_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    accepted_at timestamptz,
    revoked_at  timestamptz
);

CREATE INDEX admin_invites_created_idx ON admin_invites (created_at DESC);

-- The coupons behind subscriptions' discounts, fetched once each (a discount never changes),
-- so a subscription's amount after discounts is known without asking Stripe again.
CREATE TABLE discount_terms (
    mode           text NOT NULL CHECK (mode IN ('test', 'live')),
    id             text NOT NULL,
    percent_off_bp bigint,
    amount_off     bigint,
    currency       text,
    ends_at        timestamptz,
    PRIMARY KEY (mode, id)
);

-- The customers a console search names: part of the member's email or name, part of the
-- customer's own email, or its exact id. Lists filter by these ids, which their
-- (mode, customer_id, created) indexes answer, instead of testing every row of the list.
CREATE INDEX customers_email_trgm_idx ON customers USING gin (email gin_trgm_ops);

CREATE FUNCTION customers_matching(search_mode text, term text, pattern text)
RETURNS SETOF text LANGUAGE sql STABLE ROWS 20 AS $$
    SELECT c.id FROM customers c JOIN users u ON u.id = c.user_id
     WHERE c.mode = search_mode AND (u.email ILIKE pattern OR u.name ILIKE pattern)
    UNION
    SELECT c.id FROM customers c
     WHERE c.mode = search_mode AND (c.id = term OR c.email ILIKE pattern)
$$;
