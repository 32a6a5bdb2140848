-- Undoes 0113_idx_user_subscriptions_user_id.
DROP INDEX CONCURRENTLY IF EXISTS idx_user_subscriptions_user_id;
