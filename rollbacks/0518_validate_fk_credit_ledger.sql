-- Undoes 0518_validate_fk_credit_ledger: the keys go back to NOT VALID, exactly as 0505 left them
-- (PostgreSQL cannot un-validate a constraint in place).
ALTER TABLE credit_ledger DROP CONSTRAINT credit_ledger_user_id_fkey;

ALTER TABLE credit_ledger
ADD CONSTRAINT credit_ledger_user_id_fkey
FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
