-- Undoes 0304_idx_ai_sessions_user_status.
DROP INDEX CONCURRENTLY IF EXISTS idx_ai_sessions_user_status;
