-- A stored secret key is only ever sent to the Stripe API base it was saved for (issue 17,
-- item 4): each mode's key records that base, and Paydesk refuses to use the key anywhere else.
--
-- Backfill: a key stored before this migration went in through the form while the row's
-- api_base was in force, so it is bound to that base (NULL meant Stripe's own,
-- https://api.stripe.com). Where STRIPE_API_BASE overrode the row, the recorded base differs
-- from the one in use, and Paydesk asks the admin to enter the key again instead of guessing.
ALTER TABLE stripe_settings
    ADD COLUMN test_secret_key_api_base text,
    ADD COLUMN live_secret_key_api_base text;

UPDATE stripe_settings SET
    test_secret_key_api_base = CASE WHEN test_secret_key IS NOT NULL
                                    THEN COALESCE(api_base, 'https://api.stripe.com') END,
    live_secret_key_api_base = CASE WHEN live_secret_key IS NOT NULL
                                    THEN COALESCE(api_base, 'https://api.stripe.com') END;

-- A key without a base could be sent anywhere; a base without a key means nothing.
ALTER TABLE stripe_settings
    ADD CONSTRAINT test_secret_key_has_api_base
        CHECK ((test_secret_key IS NULL) = (test_secret_key_api_base IS NULL)),
    ADD CONSTRAINT live_secret_key_has_api_base
        CHECK ((live_secret_key IS NULL) = (live_secret_key_api_base IS NULL));
