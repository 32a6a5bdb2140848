-- Undoes 0524_validate_fk_portfolios: the keys go back to NOT VALID, exactly as 0511 left them
-- (PostgreSQL cannot un-validate a constraint in place).
ALTER TABLE portfolios DROP CONSTRAINT portfolios_user_id_fkey;

ALTER TABLE portfolios
ADD CONSTRAINT portfolios_user_id_fkey
FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
