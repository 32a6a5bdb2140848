-- 0508_fk_template_downloads: foreign keys of template_downloads, added NOT VALID.
-- Serves: 004 phase 1 "without foreign key constraints" and phase 5 finalization:
-- the keys arrive now, NOT VALID, so adding them takes only a brief lock and
-- scans nothing; step 0521 validates them without blocking writes.
-- Keys: template_downloads_user_id_fkey (000; append-only).
ALTER TABLE template_downloads
ADD CONSTRAINT template_downloads_user_id_fkey
FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
