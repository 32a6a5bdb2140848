-- 0507_fk_tool_runs: foreign keys of tool_runs, added NOT VALID.
-- Serves: 004 phase 1 "without foreign key constraints" and phase 5 finalization:
-- the keys arrive now, NOT VALID, so adding them takes only a brief lock and
-- scans nothing; step 0520 validates them without blocking writes.
-- Keys: tool_runs_user_id_fkey (000; append-only).
ALTER TABLE tool_runs
ADD CONSTRAINT tool_runs_user_id_fkey
FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
