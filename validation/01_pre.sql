-- Checks before phase 1 (subscription foundation): 004 "Pre-Migration
-- Validation", rewritten with NOT EXISTS: 004's `x NOT IN (SELECT id ...)` is
-- silently true-for-nothing when the subquery yields a NULL.

-- check: users_without_id
SELECT count(*) AS users_without_id
FROM users
WHERE id IS NULL;

-- check: businesses_with_unknown_owner
SELECT count(*) AS orphan_businesses
FROM businesses AS b
WHERE NOT EXISTS (SELECT 1 FROM users AS u WHERE u.id = b.owner_id);

-- check: health_metrics_with_unknown_business
SELECT count(*) AS orphan_health_metrics
FROM health_metrics AS h
WHERE NOT EXISTS (SELECT 1 FROM businesses AS b WHERE b.id = h.business_id);

-- check: subscription_tables_absent
SELECT t.name AS existing_table
FROM (
    VALUES ('subscription_plans'), ('user_subscriptions'), ('usage_metrics'),
    ('billing_transactions'), ('credits'), ('credit_ledger'), ('webhook_events'),
    ('tool_runs'), ('template_downloads'), ('donations'), ('cpd_state')
) AS t (name)
WHERE to_regclass(t.name) IS NOT NULL;
