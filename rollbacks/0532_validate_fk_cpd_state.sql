-- Undoes 0532_validate_fk_cpd_state: the key goes back to NOT VALID, exactly as 0531 left it
-- (PostgreSQL cannot un-validate a constraint in place).
ALTER TABLE cpd_state DROP CONSTRAINT cpd_state_user_id_fkey;

ALTER TABLE cpd_state
ADD CONSTRAINT cpd_state_user_id_fkey
FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE NOT VALID;
