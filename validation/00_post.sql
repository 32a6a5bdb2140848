-- Checks after phase 0 (baseline).

-- check: baseline_tables_present
SELECT t.name AS missing_table
FROM (
    VALUES ('users'), ('auth_accounts'), ('sessions'), ('token_blacklist'),
    ('businesses'), ('health_metrics')
) AS t (name)
WHERE to_regclass(t.name) IS NULL;

-- check: uuidv7_gives_version_7
-- Primary keys must be time-ordered UUIDs (002), built in or ours.
SELECT substring(uuidv7()::text FROM 15 FOR 1) <> '7' AS wrong_version;

-- check: users_email_lowercase_enforced
SELECT NOT EXISTS (
    SELECT 1
    FROM pg_constraint
    WHERE conname = 'users_email_lowercase_check' AND conrelid = to_regclass('users')
) AS constraint_missing;
