-- 0712_auth_cleanup_functions: the maintenance jobs of 003, as SQL functions.
-- Serves: 003 "Scheduled Maintenance Tasks": daily cleanup of expired
--   blacklist entries and expired sessions; weekly cleanup of sessions unused
--   for 90 days. A scheduler (cron, pg_cron) calls them; each returns counts.
CREATE FUNCTION cleanup_expired_tokens(
    OUT blacklist_deleted bigint, OUT sessions_deleted bigint
)
LANGUAGE plpgsql
AS $$
BEGIN
    DELETE FROM token_blacklist WHERE expires_at < now();
    GET DIAGNOSTICS blacklist_deleted = ROW_COUNT;
    DELETE FROM sessions WHERE expires_at < now();
    GET DIAGNOSTICS sessions_deleted = ROW_COUNT;
END
$$;

CREATE FUNCTION cleanup_stale_sessions(max_idle interval DEFAULT interval '90 days')
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    deleted bigint;
BEGIN
    DELETE FROM sessions WHERE last_used_at < now() - max_idle;
    GET DIAGNOSTICS deleted = ROW_COUNT;
    RETURN deleted;
END
$$;
