-- 0119_idx_webhook_events_processed_at: 002's indexing plan for webhook_events.
-- Built CONCURRENTLY (004 "Indexing Strategy") so writes to webhook_events never wait;
-- alone in its file and IF NOT EXISTS, so a rerun after a crash completes.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_webhook_events_processed_at
ON webhook_events (processed_at);
