-- Undoes 0517_validate_fk_credits: the keys go back to NOT VALID, exactly as 0504 left them
-- (PostgreSQL cannot un-validate a constraint in place).
ALTER TABLE credits DROP CONSTRAINT credits_user_id_fkey;

ALTER TABLE credits
ADD CONSTRAINT credits_user_id_fkey
FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE NOT VALID;
