-- 0124_idx_donations_user_id: 000's user_id index.
-- Built CONCURRENTLY (004 "Indexing Strategy") so writes to donations never wait;
-- alone in its file and IF NOT EXISTS, so a rerun after a crash completes.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_donations_user_id
ON donations (user_id);
