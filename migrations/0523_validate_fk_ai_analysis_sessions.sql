-- 0523_validate_fk_ai_analysis_sessions: validate the foreign keys 0510 added NOT VALID.
-- Serves: 004 phase 5 "Final data consistency checks". VALIDATE CONSTRAINT
-- takes SHARE UPDATE EXCLUSIVE on ai_analysis_sessions: reads and writes go on while it scans.
-- Phase 5's pre-checks refuse to start when a row would fail it.
ALTER TABLE ai_analysis_sessions VALIDATE CONSTRAINT ai_analysis_sessions_user_id_fkey;

ALTER TABLE ai_analysis_sessions VALIDATE CONSTRAINT ai_analysis_sessions_business_id_fkey;
