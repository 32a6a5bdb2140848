-- Undoes 0520_validate_fk_tool_runs: the keys go back to NOT VALID, exactly as 0507 left them
-- (PostgreSQL cannot un-validate a constraint in place).
ALTER TABLE tool_runs DROP CONSTRAINT tool_runs_user_id_fkey;

ALTER TABLE tool_runs
ADD CONSTRAINT tool_runs_user_id_fkey
FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
