-- Undoes 0301_ai_analysis_sessions.
DROP TABLE ai_analysis_sessions;
