-- 0308_idx_portfolio_businesses_business_id: supports phase 5's foreign key to businesses.
-- Built CONCURRENTLY (004 "Indexing Strategy") so writes to portfolio_businesses never wait;
-- alone in its file and IF NOT EXISTS, so a rerun after a crash completes.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_portfolio_businesses_business_id
ON portfolio_businesses (business_id);
