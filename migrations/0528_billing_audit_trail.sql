-- 0528_billing_audit_trail: every change to billing records lands in audit_logs.
-- Serves: 004 "Audit trail for all billing operations"; 004 phase 5
--   "Implement billing integration verification".
-- The acting user is read from the session setting app.current_user_id (set by
-- the application per request; NULL for jobs and migrations).
CREATE FUNCTION audit_billing_change() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    old_row jsonb := CASE WHEN tg_op IN ('UPDATE', 'DELETE') THEN to_jsonb(old) END;
    new_row jsonb := CASE WHEN tg_op IN ('INSERT', 'UPDATE') THEN to_jsonb(new) END;
BEGIN
    INSERT INTO audit_logs (actor_user_id, event_type, entity_type, entity_id, previous_version, new_version)
    VALUES (
        nullif(current_setting('app.current_user_id', true), '')::uuid,
        lower(tg_op),
        tg_table_name,
        coalesce(new_row ->> 'id', old_row ->> 'id', new_row ->> 'user_id', old_row ->> 'user_id'),
        old_row,
        new_row
    );
    RETURN NULL;
END
$$;

CREATE TRIGGER user_subscriptions_audit
AFTER INSERT OR UPDATE OR DELETE ON user_subscriptions
FOR EACH ROW EXECUTE FUNCTION audit_billing_change();

CREATE TRIGGER billing_transactions_audit
AFTER INSERT OR UPDATE OR DELETE ON billing_transactions
FOR EACH ROW EXECUTE FUNCTION audit_billing_change();

CREATE TRIGGER credits_audit
AFTER INSERT OR UPDATE OR DELETE ON credits
FOR EACH ROW EXECUTE FUNCTION audit_billing_change();
