-- Undoes 0405_idx_generated_reports_portfolio_id.
DROP INDEX CONCURRENTLY IF EXISTS idx_generated_reports_portfolio_id;
