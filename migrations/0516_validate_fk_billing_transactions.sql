-- 0516_validate_fk_billing_transactions: validate the foreign keys 0503 added NOT VALID.
-- Serves: 004 phase 5 "Final data consistency checks". VALIDATE CONSTRAINT
-- takes SHARE UPDATE EXCLUSIVE on billing_transactions: reads and writes go on while it scans.
-- Phase 5's pre-checks refuse to start when a row would fail it.
ALTER TABLE billing_transactions VALIDATE CONSTRAINT billing_transactions_user_id_fkey;

ALTER TABLE billing_transactions VALIDATE CONSTRAINT billing_transactions_subscription_id_fkey;
