-- Undoes 0119_idx_webhook_events_processed_at.
DROP INDEX CONCURRENTLY IF EXISTS idx_webhook_events_processed_at;
