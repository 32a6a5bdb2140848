-- 0108_credit_ledger: every credit change, append-only.
-- Serves: 001 `credit_ledger` (turn_id is the idempotency key).
-- Departures: metadata is jsonb, not serialized text; the idempotency key is
-- unique per user (user_id, turn_id), so a retried turn cannot debit twice;
-- append-only enforced by trigger (000 immutability); no foreign key until phase 5.
CREATE TABLE credit_ledger (
    id uuid NOT NULL DEFAULT uuidv7(),
    user_id uuid NOT NULL,
    session_id text,
    turn_id text,
    delta integer NOT NULL,
    balance_after integer NOT NULL,
    reason text NOT NULL,
    metadata jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT credit_ledger_pkey PRIMARY KEY (id),
    CONSTRAINT credit_ledger_user_turn_key UNIQUE (user_id, turn_id)
);

CREATE TRIGGER credit_ledger_append_only
BEFORE UPDATE OR DELETE ON credit_ledger
FOR EACH ROW EXECUTE FUNCTION reject_row_change();

CREATE TRIGGER credit_ledger_no_truncate
BEFORE TRUNCATE ON credit_ledger
FOR EACH STATEMENT EXECUTE FUNCTION reject_row_change();
