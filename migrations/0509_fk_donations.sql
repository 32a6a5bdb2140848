-- 0509_fk_donations: foreign keys of donations, added NOT VALID.
-- Serves: 004 phase 1 "without foreign key constraints" and phase 5 finalization:
-- the keys arrive now, NOT VALID, so adding them takes only a brief lock and
-- scans nothing; step 0522 validates them without blocking writes.
-- Keys: donations_user_id_fkey (000; append-only).
ALTER TABLE donations
ADD CONSTRAINT donations_user_id_fkey
FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
