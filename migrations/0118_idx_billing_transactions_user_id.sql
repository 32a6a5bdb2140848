-- 0118_idx_billing_transactions_user_id: a user's billing history, newest first.
-- Built CONCURRENTLY (004 "Indexing Strategy") so writes to billing_transactions never wait;
-- alone in its file and IF NOT EXISTS, so a rerun after a crash completes.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_billing_transactions_user_id
ON billing_transactions (user_id, created_at DESC);
