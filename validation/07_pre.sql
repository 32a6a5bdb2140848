-- Checks before phase 7 (event platform).

-- check: event_tables_absent
SELECT t.name AS existing_table
FROM (VALUES ('apps'), ('rooms'), ('participants'), ('prizes'), ('winners')) AS t (name)
WHERE to_regclass(t.name) IS NOT NULL;

-- check: auth_tables_present
-- The cleanup functions work on phase 0's sessions and token_blacklist.
SELECT t.name AS missing_table
FROM (VALUES ('sessions'), ('token_blacklist'), ('users')) AS t (name)
WHERE to_regclass(t.name) IS NULL;
