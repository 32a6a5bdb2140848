-- 0307_idx_ai_sessions_business_id: supports phase 5's foreign key to businesses.
-- Built CONCURRENTLY (004 "Indexing Strategy") so writes to ai_analysis_sessions never wait;
-- alone in its file and IF NOT EXISTS, so a rerun after a crash completes.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_ai_sessions_business_id
ON ai_analysis_sessions (business_id);
