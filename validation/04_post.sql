-- Checks after phase 4 (professional reporting).

-- check: reporting_table_present
SELECT to_regclass('generated_reports') IS NULL AS missing;

-- check: phase_4_indexes_valid
SELECT i.name AS missing_or_invalid_index
FROM (
    VALUES ('idx_generated_reports_user_created'), ('idx_generated_reports_expires_at'),
    ('idx_generated_reports_business_id'), ('idx_generated_reports_portfolio_id')
) AS i (name)
WHERE NOT EXISTS (
    SELECT 1
    FROM pg_index AS x
    INNER JOIN pg_class AS c ON x.indexrelid = c.oid
    WHERE c.relname = i.name AND c.relnamespace = current_schema()::regnamespace AND x.indisvalid
);
