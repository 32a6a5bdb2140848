-- Undoes 0307_idx_ai_sessions_business_id.
DROP INDEX CONCURRENTLY IF EXISTS idx_ai_sessions_business_id;
