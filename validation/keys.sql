-- Key queries, measured before and after every phase: 004 "Performance
-- Monitoring" (track query performance on key tables, monitor subscription
-- lookup speed) and its automatic rollback on a slowdown of more than 20%.
-- A query whose tables come with a later phase is measured from that phase on.
-- Each picks its sample row by a fixed position, so before and after agree.

-- key: user_by_email
SELECT
    id,
    display_name,
    status
FROM users
WHERE email = (SELECT u.email FROM users AS u ORDER BY u.id LIMIT 1 OFFSET 10);

-- key: businesses_by_owner
SELECT
    id,
    name
FROM businesses
WHERE owner_id = (SELECT b.owner_id FROM businesses AS b ORDER BY b.id LIMIT 1 OFFSET 10);

-- key: recent_health_metrics
SELECT
    metric_type,
    value,
    recorded_at
FROM health_metrics
WHERE business_id = (SELECT b.id FROM businesses AS b ORDER BY b.id LIMIT 1 OFFSET 10)
ORDER BY recorded_at DESC
LIMIT 10;

-- key: subscription_lookup
SELECT
    us.id,
    us.status,
    sp.name,
    sp.ai_analysis_limit
FROM user_subscriptions AS us
INNER JOIN subscription_plans AS sp ON us.plan_id = sp.id
WHERE
    us.user_id = (SELECT u.id FROM users AS u ORDER BY u.id LIMIT 1 OFFSET 10)
    AND us.status IN ('trialing', 'active', 'past_due');
