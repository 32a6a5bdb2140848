-- 0116_idx_usage_metrics_user_date: 004's usage lookup by user and day.
-- Built CONCURRENTLY (004 "Indexing Strategy") so writes to usage_metrics never wait;
-- alone in its file and IF NOT EXISTS, so a rerun after a crash completes.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_usage_metrics_user_date
ON usage_metrics (user_id, usage_date);
