-- Checks after phase 5 (finalization): 004 "Final data consistency checks".

-- check: constraints_not_validated
-- Every NOT VALID key phase 5 added must be validated by now.
SELECT
    conrelid::regclass AS table_name,
    conname AS constraint_name
FROM pg_constraint
WHERE NOT convalidated AND connamespace = current_schema()::regnamespace;

-- check: invalid_indexes
SELECT c.relname AS invalid_index
FROM pg_index AS x
INNER JOIN pg_class AS c ON x.indexrelid = c.oid
WHERE NOT x.indisvalid AND c.relnamespace = current_schema()::regnamespace;

-- check: foreign_keys_present
SELECT k.name AS missing_foreign_key
FROM (
    VALUES ('user_subscriptions_user_id_fkey'), ('user_subscriptions_plan_id_fkey'),
    ('usage_metrics_user_id_fkey'), ('usage_metrics_subscription_id_fkey'),
    ('billing_transactions_user_id_fkey'), ('billing_transactions_subscription_id_fkey'),
    ('credits_user_id_fkey'), ('credit_ledger_user_id_fkey'), ('webhook_events_user_id_fkey'),
    ('tool_runs_user_id_fkey'), ('template_downloads_user_id_fkey'), ('donations_user_id_fkey'),
    ('ai_analysis_sessions_user_id_fkey'), ('ai_analysis_sessions_business_id_fkey'),
    ('portfolios_user_id_fkey'), ('portfolio_businesses_portfolio_id_fkey'),
    ('portfolio_businesses_business_id_fkey'), ('generated_reports_user_id_fkey'),
    ('generated_reports_business_id_fkey'), ('generated_reports_portfolio_id_fkey'),
    ('cpd_state_user_id_fkey')
) AS k (name)
WHERE NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conname = k.name AND c.contype = 'f');

-- check: subscription_data_without_row_security
SELECT t.name AS table_without_rls
FROM (
    VALUES ('user_subscriptions'), ('billing_transactions'), ('usage_metrics'),
    ('credits'), ('credit_ledger')
) AS t (name)
WHERE NOT EXISTS (
    SELECT 1 FROM pg_class AS c
    WHERE c.oid = to_regclass(t.name) AND c.relrowsecurity
);

-- check: billing_tables_without_audit_trigger
SELECT t.name AS unaudited_table
FROM (VALUES ('user_subscriptions'), ('billing_transactions'), ('credits')) AS t (name)
WHERE NOT EXISTS (
    SELECT 1 FROM pg_trigger AS g
    WHERE g.tgrelid = to_regclass(t.name) AND g.tgname = t.name || '_audit'
);

-- check: users_without_current_subscription
-- Phase 2's promise still holds at the end.
SELECT count(*) AS users_without_current_subscription
FROM users AS u
WHERE NOT EXISTS (
    SELECT 1 FROM user_subscriptions AS us
    WHERE us.user_id = u.id AND us.status IN ('trialing', 'active', 'past_due')
);
