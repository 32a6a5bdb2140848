-- Undoes 0116_idx_usage_metrics_user_date.
DROP INDEX CONCURRENTLY IF EXISTS idx_usage_metrics_user_date;
