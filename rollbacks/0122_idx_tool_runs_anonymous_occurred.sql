-- Undoes 0122_idx_tool_runs_anonymous_occurred.
DROP INDEX CONCURRENTLY IF EXISTS idx_tool_runs_anonymous_occurred;
