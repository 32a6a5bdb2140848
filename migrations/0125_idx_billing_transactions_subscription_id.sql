-- 0125_idx_billing_transactions_subscription_id: supports phase 5's foreign key to user_subscriptions.
-- Built CONCURRENTLY (004 "Indexing Strategy") so writes to billing_transactions never wait;
-- alone in its file and IF NOT EXISTS, so a rerun after a crash completes.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_billing_transactions_subscription_id
ON billing_transactions (subscription_id);
