-- 0532_validate_fk_cpd_state: validate the foreign key 0531 added NOT VALID.
-- Serves: 004 phase 5 "Final data consistency checks". VALIDATE CONSTRAINT
-- takes SHARE UPDATE EXCLUSIVE on cpd_state: reads and writes go on while it scans.
-- Phase 5's pre-checks refuse to start when a row would fail it.
ALTER TABLE cpd_state VALIDATE CONSTRAINT cpd_state_user_id_fkey;
