-- 0520_validate_fk_tool_runs: validate the foreign keys 0507 added NOT VALID.
-- Serves: 004 phase 5 "Final data consistency checks". VALIDATE CONSTRAINT
-- takes SHARE UPDATE EXCLUSIVE on tool_runs: reads and writes go on while it scans.
-- Phase 5's pre-checks refuse to start when a row would fail it.
ALTER TABLE tool_runs VALIDATE CONSTRAINT tool_runs_user_id_fkey;
