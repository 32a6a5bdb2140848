-- 0518_validate_fk_credit_ledger: validate the foreign keys 0505 added NOT VALID.
-- Serves: 004 phase 5 "Final data consistency checks". VALIDATE CONSTRAINT
-- takes SHARE UPDATE EXCLUSIVE on credit_ledger: reads and writes go on while it scans.
-- Phase 5's pre-checks refuse to start when a row would fail it.
ALTER TABLE credit_ledger VALIDATE CONSTRAINT credit_ledger_user_id_fkey;
