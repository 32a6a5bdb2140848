-- 0511_fk_portfolios: foreign keys of portfolios, added NOT VALID.
-- Serves: 004 phase 1 "without foreign key constraints" and phase 5 finalization:
-- the keys arrive now, NOT VALID, so adding them takes only a brief lock and
-- scans nothing; step 0524 validates them without blocking writes.
-- Keys: portfolios_user_id_fkey (004).
ALTER TABLE portfolios
ADD CONSTRAINT portfolios_user_id_fkey
FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
