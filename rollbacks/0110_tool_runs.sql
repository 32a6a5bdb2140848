-- Undoes 0110_tool_runs.
DROP TABLE tool_runs;
