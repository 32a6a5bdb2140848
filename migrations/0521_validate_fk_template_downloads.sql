-- 0521_validate_fk_template_downloads: validate the foreign keys 0508 added NOT VALID.
-- Serves: 004 phase 5 "Final data consistency checks". VALIDATE CONSTRAINT
-- takes SHARE UPDATE EXCLUSIVE on template_downloads: reads and writes go on while it scans.
-- Phase 5's pre-checks refuse to start when a row would fail it.
ALTER TABLE template_downloads VALIDATE CONSTRAINT template_downloads_user_id_fkey;
