-- Checks after phase 1 (subscription foundation).

-- check: subscription_tables_present
SELECT t.name AS missing_table
FROM (
    VALUES ('subscription_plans'), ('user_subscriptions'), ('usage_metrics'),
    ('billing_transactions'), ('credits'), ('credit_ledger'), ('webhook_events'),
    ('tool_runs'), ('template_downloads'), ('donations'), ('cpd_state')
) AS t (name)
WHERE to_regclass(t.name) IS NULL;

-- check: free_plan_active
-- Phase 2 assigns every existing user to 'Free' (004).
SELECT NOT EXISTS (
    SELECT 1
    FROM subscription_plans
    WHERE name = 'Free' AND tier = 'free' AND price = 0 AND is_active
) AS free_plan_missing;

-- check: every_tier_has_an_active_plan
SELECT t.tier AS tier_without_plan
FROM (VALUES ('free'), ('starter'), ('pro'), ('power')) AS t (tier)
WHERE NOT EXISTS (
    SELECT 1
    FROM subscription_plans AS p
    WHERE p.tier = t.tier AND p.is_active
);

-- check: phase_1_indexes_valid
-- Concurrent builds that failed leave INVALID indexes; each must exist and be valid.
SELECT i.name AS missing_or_invalid_index
FROM (
    VALUES ('idx_user_subscriptions_user_id'), ('idx_user_subscriptions_plan_id'),
    ('uq_user_subscriptions_current_user'), ('idx_usage_metrics_user_date'),
    ('idx_usage_metrics_subscription_id'), ('idx_billing_transactions_user_id'),
    ('idx_billing_transactions_subscription_id'), ('idx_webhook_events_processed_at'),
    ('idx_credit_ledger_user_created'), ('idx_tool_runs_user_occurred'),
    ('idx_tool_runs_anonymous_occurred'), ('idx_template_downloads_user_occurred'),
    ('idx_donations_user_id')
) AS i (name)
WHERE NOT EXISTS (
    SELECT 1
    FROM pg_index AS x
    INNER JOIN pg_class AS c ON x.indexrelid = c.oid
    WHERE c.relname = i.name AND c.relnamespace = current_schema()::regnamespace AND x.indisvalid
);

-- check: append_only_tables_guarded
-- 000's immutability: these tables refuse UPDATE, DELETE and TRUNCATE.
SELECT t.name AS unguarded_table
FROM (VALUES ('credit_ledger'), ('tool_runs'), ('template_downloads'), ('donations')) AS t (name)
WHERE NOT EXISTS (
    SELECT 1
    FROM pg_trigger AS g
    WHERE g.tgrelid = to_regclass(t.name) AND g.tgname = t.name || '_append_only'
);
