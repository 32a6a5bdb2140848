-- 0202_credits_rows: a credits row per user, from the quota of the user's plan.
-- Serves: 001 `credits` (monthly quota, balance, daily cap; plan_override, when
--   set, is the effective plan) and 000's backfill step.
-- The plan is the user's plan_override tier when set, else the plan of the
-- current subscription (Free after 0201). Batched and tagged like 0201, with
-- the keyset bound repeated inside NOT EXISTS for the same reason.
-- toolkit:batch
WITH done AS (
    SELECT
        coalesce(
            (
                SELECT c.user_id FROM credits AS c
                WHERE c.source = 'phase_2_backfill'
                ORDER BY c.user_id DESC
                LIMIT 1
            ),
            '00000000-0000-0000-0000-000000000000'::uuid
        ) AS last_user_id
)

INSERT INTO credits (
    user_id, monthly_quota, balance, daily_cap, source,
    last_daily_reset_at, last_monthly_reset_at
)
SELECT
    u.id AS user_id,
    p.monthly_credits AS monthly_quota,
    p.monthly_credits AS balance,
    p.daily_credit_cap AS daily_cap,
    'phase_2_backfill' AS source,
    now() AS last_daily_reset_at,
    now() AS last_monthly_reset_at
FROM users AS u
INNER JOIN LATERAL (
    SELECT
        sp.monthly_credits,
        sp.daily_credit_cap
    FROM subscription_plans AS sp
    LEFT JOIN user_subscriptions AS us
        ON
            sp.id = us.plan_id
            AND u.id = us.user_id
            AND us.status IN ('trialing', 'active', 'past_due')
    WHERE
        (u.plan_override IS NOT NULL AND sp.tier = u.plan_override AND sp.is_active)
        OR (u.plan_override IS NULL AND us.id IS NOT NULL)
    ORDER BY sp.price DESC
    LIMIT 1
) AS p ON TRUE
WHERE
    u.id > (SELECT d.last_user_id FROM done AS d)
    AND NOT EXISTS (
        SELECT 1 FROM credits AS c
        WHERE c.user_id = u.id AND c.user_id > (SELECT d.last_user_id FROM done AS d)
    )
ORDER BY u.id
LIMIT current_setting('toolkit.batch_size')::integer;
