-- 0201_free_subscriptions: every user without a subscription gets the Free plan.
-- Serves: 004 phase 2 "Auto-assign existing users to Free tier"; 000 backfill
--   of billing_user_plan (plan + source).
-- Departures from 004's single INSERT ... SELECT: it runs in batches, each its
-- own short transaction, so no long transaction holds back vacuum or replicas,
-- and a crash resumes where it stopped. Rows are tagged source =
-- 'phase_2_backfill' so the rollback removes only what this step created
-- (004's rollback deletes every Free subscription, including ones users chose).
-- Keyset: users are taken in id order after the last one this step assigned,
-- so every batch is an index range scan, not a rescan of all users. The bound
-- is repeated inside NOT EXISTS on purpose: the planner does not carry `>`
-- across the join, and without it each batch's anti-join read the whole
-- user_subscriptions index from the start (batch time grew 12 -> 25 ms over the
-- first 80,000 rows, quadratic over a million).
-- toolkit:batch
WITH done AS (
    SELECT
        coalesce(
            (
                SELECT s.user_id FROM user_subscriptions AS s
                WHERE s.source = 'phase_2_backfill'
                ORDER BY s.user_id DESC
                LIMIT 1
            ),
            '00000000-0000-0000-0000-000000000000'::uuid
        ) AS last_user_id
)

INSERT INTO user_subscriptions (
    user_id, plan_id, status, source, current_period_start, current_period_end
)
SELECT
    u.id AS user_id,
    p.id AS plan_id,
    'active' AS status,
    'phase_2_backfill' AS source,
    now() AS current_period_start,
    now() + interval '1 year' AS current_period_end
FROM users AS u
CROSS JOIN (SELECT id FROM subscription_plans WHERE name = 'Free') AS p
WHERE
    u.id > (SELECT d.last_user_id FROM done AS d)
    AND NOT EXISTS (
        SELECT 1 FROM user_subscriptions AS us
        WHERE us.user_id = u.id AND us.user_id > (SELECT d.last_user_id FROM done AS d)
    )
ORDER BY u.id
LIMIT current_setting('toolkit.batch_size')::integer;
