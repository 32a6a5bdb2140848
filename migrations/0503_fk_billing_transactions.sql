-- 0503_fk_billing_transactions: foreign keys of billing_transactions, added NOT VALID.
-- Serves: 004 phase 1 "without foreign key constraints" and phase 5 finalization:
-- the keys arrive now, NOT VALID, so adding them takes only a brief lock and
-- scans nothing; step 0516 validates them without blocking writes.
-- Keys:
--   billing_transactions_user_id_fkey (004: billing history is never deleted with a user)
--   billing_transactions_subscription_id_fkey (004).
ALTER TABLE billing_transactions
ADD CONSTRAINT billing_transactions_user_id_fkey
FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;

ALTER TABLE billing_transactions
ADD CONSTRAINT billing_transactions_subscription_id_fkey
FOREIGN KEY (subscription_id) REFERENCES user_subscriptions (id) NOT VALID;
