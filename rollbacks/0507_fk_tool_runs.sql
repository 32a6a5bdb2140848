-- Undoes 0507_fk_tool_runs.
ALTER TABLE tool_runs DROP CONSTRAINT tool_runs_user_id_fkey;
