-- Checks before phase 5 (finalization): every foreign key phase 5 adds must
-- validate, so rows pointing nowhere stop the phase before it starts (004's
-- pre-migration integrity checks, with NOT EXISTS).

-- check: user_subscriptions_user_id_orphans
SELECT count(*) AS orphans
FROM user_subscriptions AS c
WHERE c.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users AS p WHERE p.id = c.user_id);

-- check: user_subscriptions_plan_id_orphans
SELECT count(*) AS orphans
FROM user_subscriptions AS c
WHERE c.plan_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM subscription_plans AS p WHERE p.id = c.plan_id);

-- check: usage_metrics_user_id_orphans
SELECT count(*) AS orphans
FROM usage_metrics AS c
WHERE c.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users AS p WHERE p.id = c.user_id);

-- check: usage_metrics_subscription_id_orphans
SELECT count(*) AS orphans
FROM usage_metrics AS c
WHERE
    c.subscription_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM user_subscriptions AS p WHERE p.id = c.subscription_id);

-- check: billing_transactions_user_id_orphans
SELECT count(*) AS orphans
FROM billing_transactions AS c
WHERE c.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users AS p WHERE p.id = c.user_id);

-- check: billing_transactions_subscription_id_orphans
SELECT count(*) AS orphans
FROM billing_transactions AS c
WHERE
    c.subscription_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM user_subscriptions AS p WHERE p.id = c.subscription_id);

-- check: credits_user_id_orphans
SELECT count(*) AS orphans
FROM credits AS c
WHERE c.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users AS p WHERE p.id = c.user_id);

-- check: credit_ledger_user_id_orphans
SELECT count(*) AS orphans
FROM credit_ledger AS c
WHERE c.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users AS p WHERE p.id = c.user_id);

-- check: webhook_events_user_id_orphans
SELECT count(*) AS orphans
FROM webhook_events AS c
WHERE c.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users AS p WHERE p.id = c.user_id);

-- check: tool_runs_user_id_orphans
SELECT count(*) AS orphans
FROM tool_runs AS c
WHERE c.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users AS p WHERE p.id = c.user_id);

-- check: cpd_state_user_id_orphans
SELECT count(*) AS orphans
FROM cpd_state AS c
WHERE NOT EXISTS (SELECT 1 FROM users AS p WHERE p.id = c.user_id);

-- check: template_downloads_user_id_orphans
SELECT count(*) AS orphans
FROM template_downloads AS c
WHERE c.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users AS p WHERE p.id = c.user_id);

-- check: donations_user_id_orphans
SELECT count(*) AS orphans
FROM donations AS c
WHERE c.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users AS p WHERE p.id = c.user_id);

-- check: ai_analysis_sessions_user_id_orphans
SELECT count(*) AS orphans
FROM ai_analysis_sessions AS c
WHERE c.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users AS p WHERE p.id = c.user_id);

-- check: ai_analysis_sessions_business_id_orphans
SELECT count(*) AS orphans
FROM ai_analysis_sessions AS c
WHERE c.business_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM businesses AS p WHERE p.id = c.business_id);

-- check: portfolios_user_id_orphans
SELECT count(*) AS orphans
FROM portfolios AS c
WHERE c.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users AS p WHERE p.id = c.user_id);

-- check: portfolio_businesses_portfolio_id_orphans
SELECT count(*) AS orphans
FROM portfolio_businesses AS c
WHERE c.portfolio_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM portfolios AS p WHERE p.id = c.portfolio_id);

-- check: portfolio_businesses_business_id_orphans
SELECT count(*) AS orphans
FROM portfolio_businesses AS c
WHERE c.business_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM businesses AS p WHERE p.id = c.business_id);

-- check: generated_reports_user_id_orphans
SELECT count(*) AS orphans
FROM generated_reports AS c
WHERE c.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users AS p WHERE p.id = c.user_id);

-- check: generated_reports_business_id_orphans
SELECT count(*) AS orphans
FROM generated_reports AS c
WHERE c.business_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM businesses AS p WHERE p.id = c.business_id);

-- check: generated_reports_portfolio_id_orphans
SELECT count(*) AS orphans
FROM generated_reports AS c
WHERE c.portfolio_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM portfolios AS p WHERE p.id = c.portfolio_id);
