-- 0505_fk_credit_ledger: foreign keys of credit_ledger, added NOT VALID.
-- Serves: 004 phase 1 "without foreign key constraints" and phase 5 finalization:
-- the keys arrive now, NOT VALID, so adding them takes only a brief lock and
-- scans nothing; step 0518 validates them without blocking writes.
-- Keys: credit_ledger_user_id_fkey (001; append-only, so a user with ledger rows is soft-deleted).
ALTER TABLE credit_ledger
ADD CONSTRAINT credit_ledger_user_id_fkey
FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
