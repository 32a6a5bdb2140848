-- 0403_idx_generated_reports_expires_at: finds expired reports for cleanup.
-- Built CONCURRENTLY (004 "Indexing Strategy") so writes to generated_reports never wait;
-- alone in its file and IF NOT EXISTS, so a rerun after a crash completes.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_generated_reports_expires_at
ON generated_reports (expires_at)
WHERE expires_at IS NOT NULL;
