-- 0306_uq_portfolios_one_default_per_user: at most one default portfolio per user.
-- Built CONCURRENTLY (004 "Indexing Strategy") so writes to portfolios never wait;
-- alone in its file and IF NOT EXISTS, so a rerun after a crash completes.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_portfolios_one_default_per_user
ON portfolios (user_id)
WHERE is_default;
