-- 0114_idx_user_subscriptions_plan_id: supports phase 5's foreign key to subscription_plans.
-- Built CONCURRENTLY (004 "Indexing Strategy") so writes to user_subscriptions never wait;
-- alone in its file and IF NOT EXISTS, so a rerun after a crash completes.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_user_subscriptions_plan_id
ON user_subscriptions (plan_id);
