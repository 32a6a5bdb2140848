-- 0304_idx_ai_sessions_user_status: 004's index for a user's analyses by status.
-- Built CONCURRENTLY (004 "Indexing Strategy") so writes to ai_analysis_sessions never wait;
-- alone in its file and IF NOT EXISTS, so a rerun after a crash completes.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_ai_sessions_user_status
ON ai_analysis_sessions (user_id, status);
