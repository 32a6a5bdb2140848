-- 0517_validate_fk_credits: validate the foreign keys 0504 added NOT VALID.
-- Serves: 004 phase 5 "Final data consistency checks". VALIDATE CONSTRAINT
-- takes SHARE UPDATE EXCLUSIVE on credits: reads and writes go on while it scans.
-- Phase 5's pre-checks refuse to start when a row would fail it.
ALTER TABLE credits VALIDATE CONSTRAINT credits_user_id_fkey;
