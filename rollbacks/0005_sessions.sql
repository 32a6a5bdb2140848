-- Undoes 0005_sessions.
DROP TABLE sessions;
