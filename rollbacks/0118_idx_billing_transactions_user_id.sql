-- Undoes 0118_idx_billing_transactions_user_id.
DROP INDEX CONCURRENTLY IF EXISTS idx_billing_transactions_user_id;
