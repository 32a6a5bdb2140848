-- Undoes 0404_idx_generated_reports_business_id.
DROP INDEX CONCURRENTLY IF EXISTS idx_generated_reports_business_id;
