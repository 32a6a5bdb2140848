-- Undoes 0308_idx_portfolio_businesses_business_id.
DROP INDEX CONCURRENTLY IF EXISTS idx_portfolio_businesses_business_id;
