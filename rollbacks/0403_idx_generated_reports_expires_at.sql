-- Undoes 0403_idx_generated_reports_expires_at.
DROP INDEX CONCURRENTLY IF EXISTS idx_generated_reports_expires_at;
