-- Undoes 0114_idx_user_subscriptions_plan_id.
DROP INDEX CONCURRENTLY IF EXISTS idx_user_subscriptions_plan_id;
