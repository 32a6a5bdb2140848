-- 0117_idx_usage_metrics_subscription_id: supports phase 5's foreign key to user_subscriptions.
-- Built CONCURRENTLY (004 "Indexing Strategy") so writes to usage_metrics never wait;
-- alone in its file and IF NOT EXISTS, so a rerun after a crash completes.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_usage_metrics_subscription_id
ON usage_metrics (subscription_id);
