-- Undoes 0504_fk_credits.
ALTER TABLE credits DROP CONSTRAINT credits_user_id_fkey;
