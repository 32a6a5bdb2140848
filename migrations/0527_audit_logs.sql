-- 0527_audit_logs: an append-only trail of changes to audited records.
-- Serves: 004 "Security Considerations" (audit trail for all billing
--   operations), 000 `cpd_audit_log` (event, entity, previous/new version,
--   changed_by, timestamp, notes; append-only) and 002 ERD `AuditLog`
--   (actor_user_id -> users).
-- Departures: 000's `timestamp` is `occurred_at`; the versions are jsonb
-- snapshots of the row; entity_id is text so any key type fits.
CREATE TABLE audit_logs (
    id uuid NOT NULL DEFAULT uuidv7(),
    actor_user_id uuid,
    event_type text NOT NULL,
    entity_type text NOT NULL,
    entity_id text NOT NULL,
    previous_version jsonb,
    new_version jsonb,
    changed_by text NOT NULL DEFAULT current_user,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    notes text,
    CONSTRAINT audit_logs_pkey PRIMARY KEY (id),
    CONSTRAINT audit_logs_actor_user_id_fkey FOREIGN KEY (actor_user_id) REFERENCES users (id)
);

CREATE INDEX idx_audit_logs_entity_occurred ON audit_logs (entity_type, entity_id, occurred_at);

CREATE INDEX idx_audit_logs_actor_user_id ON audit_logs (actor_user_id);

CREATE TRIGGER audit_logs_append_only
BEFORE UPDATE OR DELETE ON audit_logs
FOR EACH ROW EXECUTE FUNCTION reject_row_change();

CREATE TRIGGER audit_logs_no_truncate
BEFORE TRUNCATE ON audit_logs
FOR EACH STATEMENT EXECUTE FUNCTION reject_row_change();
