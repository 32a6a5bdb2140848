-- 0504_fk_credits: foreign keys of credits, added NOT VALID.
-- Serves: 004 phase 1 "without foreign key constraints" and phase 5 finalization:
-- the keys arrive now, NOT VALID, so adding them takes only a brief lock and
-- scans nothing; step 0517 validates them without blocking writes.
-- Keys: credits_user_id_fkey (001).
ALTER TABLE credits
ADD CONSTRAINT credits_user_id_fkey
FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE NOT VALID;
