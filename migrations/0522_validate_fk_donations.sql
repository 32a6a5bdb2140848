-- 0522_validate_fk_donations: validate the foreign keys 0509 added NOT VALID.
-- Serves: 004 phase 5 "Final data consistency checks". VALIDATE CONSTRAINT
-- takes SHARE UPDATE EXCLUSIVE on donations: reads and writes go on while it scans.
-- Phase 5's pre-checks refuse to start when a row would fail it.
ALTER TABLE donations VALIDATE CONSTRAINT donations_user_id_fkey;
