-- 0121_idx_tool_runs_user_occurred: 000's (user_id, timestamp) index.
-- Built CONCURRENTLY (004 "Indexing Strategy") so writes to tool_runs never wait;
-- alone in its file and IF NOT EXISTS, so a rerun after a crash completes.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_tool_runs_user_occurred
ON tool_runs (user_id, occurred_at);
