-- 0120_idx_credit_ledger_user_created: a user's ledger in order (001).
-- Built CONCURRENTLY (004 "Indexing Strategy") so writes to credit_ledger never wait;
-- alone in its file and IF NOT EXISTS, so a rerun after a crash completes.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_credit_ledger_user_created
ON credit_ledger (user_id, created_at);
