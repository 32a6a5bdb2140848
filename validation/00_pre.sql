-- Checks before phase 0 (baseline). A check passes when it returns no rows,
-- or one row whose single value is 0 or false.

-- check: baseline_tables_absent
-- Phase 0 creates these; finding one means the database is not the empty one
-- phase 0 expects (apply would fail half way).
SELECT t.name AS existing_table
FROM (
    VALUES ('users'), ('auth_accounts'), ('sessions'), ('token_blacklist'),
    ('businesses'), ('health_metrics')
) AS t (name)
WHERE to_regclass(t.name) IS NOT NULL;
