-- 0110_tool_runs: each run of a tool, by a user or an anonymous visitor; append-only.
-- Serves: 000 `billing_tool_runs` and its immutability expectation.
-- Departures: 000's `timestamp` column is `occurred_at`; metadata_json is
-- `metadata jsonb`; at least one of user_id / anonymous_user_id must be set.
CREATE TABLE tool_runs (
    id uuid NOT NULL DEFAULT uuidv7(),
    user_id uuid,
    anonymous_user_id text,
    tool_id text NOT NULL,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    metadata jsonb,
    CONSTRAINT tool_runs_pkey PRIMARY KEY (id),
    CONSTRAINT tool_runs_actor_check CHECK (user_id IS NOT NULL OR anonymous_user_id IS NOT NULL)
);

CREATE TRIGGER tool_runs_append_only
BEFORE UPDATE OR DELETE ON tool_runs
FOR EACH ROW EXECUTE FUNCTION reject_row_change();

CREATE TRIGGER tool_runs_no_truncate
BEFORE TRUNCATE ON tool_runs
FOR EACH STATEMENT EXECUTE FUNCTION reject_row_change();
