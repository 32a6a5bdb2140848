-- 0122_idx_tool_runs_anonymous_occurred: 000's (anonymous_user_id, timestamp) index.
-- Built CONCURRENTLY (004 "Indexing Strategy") so writes to tool_runs never wait;
-- alone in its file and IF NOT EXISTS, so a rerun after a crash completes.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_tool_runs_anonymous_occurred
ON tool_runs (anonymous_user_id, occurred_at);
