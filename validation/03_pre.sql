-- Checks before phase 3 (AI enhancement).

-- check: users_without_subscription
-- Phase 3's features are metered per subscription: phase 2 must be complete.
SELECT count(*) AS users_without_subscription
FROM users AS u
WHERE NOT EXISTS (SELECT 1 FROM user_subscriptions AS us WHERE us.user_id = u.id);

-- check: ai_tables_absent
SELECT t.name AS existing_table
FROM (VALUES ('ai_analysis_sessions'), ('portfolios'), ('portfolio_businesses')) AS t (name)
WHERE to_regclass(t.name) IS NOT NULL;
