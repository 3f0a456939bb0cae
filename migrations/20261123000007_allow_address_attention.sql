-- A renewal Stripe could not finalize because it cannot locate the customer for tax (tax
-- billing behaviour "Require billing address") waits in draft for the member to fix their
-- address.
ALTER TABLE invoices DROP CONSTRAINT invoices_attention_check;
ALTER TABLE invoices ADD CONSTRAINT invoices_attention_check
    CHECK (attention IN ('fix_payment', 'authenticate', 'fix_address'));
