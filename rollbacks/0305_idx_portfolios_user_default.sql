-- Undoes 0305_idx_portfolios_user_default.
DROP INDEX CONCURRENTLY IF EXISTS idx_portfolios_user_default;
