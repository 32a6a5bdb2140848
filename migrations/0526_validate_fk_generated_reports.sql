-- 0526_validate_fk_generated_reports: validate the foreign keys 0513 added NOT VALID.
-- Serves: 004 phase 5 "Final data consistency checks". VALIDATE CONSTRAINT
-- takes SHARE UPDATE EXCLUSIVE on generated_reports: reads and writes go on while it scans.
-- Phase 5's pre-checks refuse to start when a row would fail it.
ALTER TABLE generated_reports VALIDATE CONSTRAINT generated_reports_user_id_fkey;

ALTER TABLE generated_reports VALIDATE CONSTRAINT generated_reports_business_id_fkey;

ALTER TABLE generated_reports VALIDATE CONSTRAINT generated_reports_portfolio_id_fkey;
