-- Checks before phase 2 (user migration): 004 "Pre-Migration Validation",
-- with NOT EXISTS instead of 004's NULL-unsafe NOT IN.

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

-- check: free_plan_available
SELECT NOT EXISTS (
    SELECT 1
    FROM subscription_plans
    WHERE name = 'Free' AND is_active
) AS free_plan_missing;
