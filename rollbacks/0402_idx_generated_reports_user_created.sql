-- Undoes 0402_idx_generated_reports_user_created.
DROP INDEX CONCURRENTLY IF EXISTS idx_generated_reports_user_created;
