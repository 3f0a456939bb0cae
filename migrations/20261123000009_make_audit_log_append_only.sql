-- The audit log is append-only: rows are never edited or removed. The one change allowed is
-- the foreign key's own `ON DELETE SET NULL` when an account is deleted (the email stays).
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL
       AND (NEW.id, NEW.actor_email, NEW.action, NEW.target, NEW.details, NEW.created_at)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.actor_email, OLD.action, OLD.target, OLD.details, OLD.created_at) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;

CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE INDEX audit_log_action_idx ON audit_log (action text_pattern_ops, created_at DESC, id DESC);
