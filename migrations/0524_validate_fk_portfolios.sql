-- 0524_validate_fk_portfolios: validate the foreign keys 0511 added NOT VALID.
-- Serves: 004 phase 5 "Final data consistency checks". VALIDATE CONSTRAINT
-- takes SHARE UPDATE EXCLUSIVE on portfolios: reads and writes go on while it scans.
-- Phase 5's pre-checks refuse to start when a row would fail it.
ALTER TABLE portfolios VALIDATE CONSTRAINT portfolios_user_id_fkey;
