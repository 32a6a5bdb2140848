-- Undoes 0117_idx_usage_metrics_subscription_id.
DROP INDEX CONCURRENTLY IF EXISTS idx_usage_metrics_subscription_id;
