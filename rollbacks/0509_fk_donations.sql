-- Undoes 0509_fk_donations.
ALTER TABLE donations DROP CONSTRAINT donations_user_id_fkey;
