-- Undoes 0505_fk_credit_ledger.
ALTER TABLE credit_ledger DROP CONSTRAINT credit_ledger_user_id_fkey;
