-- Undoes 0712_auth_cleanup_functions.
DROP FUNCTION cleanup_stale_sessions(interval);

DROP FUNCTION cleanup_expired_tokens();
