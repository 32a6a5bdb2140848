-- Undoes 0121_idx_tool_runs_user_occurred.
DROP INDEX CONCURRENTLY IF EXISTS idx_tool_runs_user_occurred;
