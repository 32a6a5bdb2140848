-- 0405_idx_generated_reports_portfolio_id: supports phase 5's foreign key to portfolios.
-- Built CONCURRENTLY (004 "Indexing Strategy") so writes to generated_reports never wait;
-- alone in its file and IF NOT EXISTS, so a rerun after a crash completes.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_generated_reports_portfolio_id
ON generated_reports (portfolio_id);
