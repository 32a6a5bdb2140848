-- Checks after phase 3 (AI enhancement).

-- check: ai_tables_present
SELECT t.name AS missing_table
FROM (VALUES ('ai_analysis_sessions'), ('portfolios'), ('portfolio_businesses')) AS t (name)
WHERE to_regclass(t.name) IS NULL;

-- check: phase_3_indexes_valid
SELECT i.name AS missing_or_invalid_index
FROM (
    VALUES ('idx_ai_sessions_user_status'), ('idx_portfolios_user_default'),
    ('uq_portfolios_one_default_per_user'), ('idx_ai_sessions_business_id'),
    ('idx_portfolio_businesses_business_id')
) AS i (name)
WHERE NOT EXISTS (
    SELECT 1
    FROM pg_index AS x
    INNER JOIN pg_class AS c ON x.indexrelid = c.oid
    WHERE c.relname = i.name AND c.relnamespace = current_schema()::regnamespace AND x.indisvalid
);

-- check: users_with_several_default_portfolios
SELECT
    user_id,
    count(*) AS default_portfolios
FROM portfolios
WHERE is_default
GROUP BY user_id
HAVING count(*) > 1;
