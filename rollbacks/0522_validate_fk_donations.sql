-- Undoes 0522_validate_fk_donations: the keys go back to NOT VALID, exactly as 0509 left them
-- (PostgreSQL cannot un-validate a constraint in place).
ALTER TABLE donations DROP CONSTRAINT donations_user_id_fkey;

ALTER TABLE donations
ADD CONSTRAINT donations_user_id_fkey
FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
