-- 0102_subscription_plan_rows: one plan per tier; 'Free' must exist for phase 2.
-- Serves: 004 phase 1 "Set up initial subscription plans data"; 001 tiers.
-- ai_analysis_limit NULL means unlimited (004).
INSERT INTO subscription_plans (
    name, tier, description, price, billing_period,
    ai_analysis_limit, monthly_credits, daily_credit_cap, features
)
VALUES
(
    'Free', 'free', 'Business health basics', 0.00, 'monthly',
    3, 50, 10, '{"reports": false, "portfolios": 1, "branding": false}'::jsonb
),
(
    'Starter', 'starter', 'More analyses for a growing portfolio', 19.00, 'monthly',
    25, 500, 50, '{"reports": true, "portfolios": 3, "branding": false}'::jsonb
),
(
    'Pro', 'pro', 'Professional reports with branding', 49.00, 'monthly',
    100, 2000, 200, '{"reports": true, "portfolios": 10, "branding": true}'::jsonb
),
(
    'Power', 'power', 'Unlimited analyses', 99.00, 'monthly',
    NULL, 10000, NULL, '{"reports": true, "portfolios": null, "branding": true}'::jsonb
);
