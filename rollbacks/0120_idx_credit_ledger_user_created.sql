-- Undoes 0120_idx_credit_ledger_user_created.
DROP INDEX CONCURRENTLY IF EXISTS idx_credit_ledger_user_created;
