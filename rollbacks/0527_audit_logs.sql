-- Undoes 0527_audit_logs.
DROP TABLE audit_logs;
