-- Undoes 0511_fk_portfolios.
ALTER TABLE portfolios DROP CONSTRAINT portfolios_user_id_fkey;
