-- Checks after phase 2 (user migration): 004 "Post-Migration Validation"
-- with NOT EXISTS, and what phase 2 promises.

-- check: users_without_subscription
-- 004: every user has a subscription.
SELECT count(*) AS users_without_subscription
FROM users AS u
WHERE NOT EXISTS (SELECT 1 FROM user_subscriptions AS us WHERE us.user_id = u.id);

-- check: subscriptions_with_unknown_user
-- 004: no subscription points at a missing user.
SELECT count(*) AS orphan_subscriptions
FROM user_subscriptions AS us
WHERE NOT EXISTS (SELECT 1 FROM users AS u WHERE u.id = us.user_id);

-- check: users_with_several_current_subscriptions
SELECT
    us.user_id,
    count(*) AS current_subscriptions
FROM user_subscriptions AS us
WHERE us.status IN ('trialing', 'active', 'past_due')
GROUP BY us.user_id
HAVING count(*) > 1;

-- check: users_without_current_subscription
SELECT count(*) AS users_without_current_subscription
FROM users AS u
WHERE NOT EXISTS (
    SELECT 1 FROM user_subscriptions AS us
    WHERE us.user_id = u.id AND us.status IN ('trialing', 'active', 'past_due')
);

-- check: users_without_credits
SELECT count(*) AS users_without_credits
FROM users AS u
WHERE NOT EXISTS (SELECT 1 FROM credits AS c WHERE c.user_id = u.id);

-- check: credits_above_quota
SELECT count(*) AS credits_above_quota
FROM credits
WHERE balance > monthly_quota;
