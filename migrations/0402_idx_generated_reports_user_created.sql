-- 0402_idx_generated_reports_user_created: a user's reports, newest first.
-- Built CONCURRENTLY (004 "Indexing Strategy") so writes to generated_reports never wait;
-- alone in its file and IF NOT EXISTS, so a rerun after a crash completes.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_generated_reports_user_created
ON generated_reports (user_id, created_at DESC);
