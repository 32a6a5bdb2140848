-- 0305_idx_portfolios_user_default: 004's index for a user's (default) portfolios.
-- Built CONCURRENTLY (004 "Indexing Strategy") so writes to portfolios never wait;
-- alone in its file and IF NOT EXISTS, so a rerun after a crash completes.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_portfolios_user_default
ON portfolios (user_id, is_default);
