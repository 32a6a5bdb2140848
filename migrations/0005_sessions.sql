-- 0005_sessions: refresh-token sessions.
-- Serves: 003 "Authentication Schema Changes" (no stored access token; device
--   info, IP address, last use), 000 `auth_sessions`, 002 ERD `Session`.
-- Departures: the refresh token is stored as its SHA-256 hash (a leaked table
-- must not yield usable tokens); ip_address is `inet`, not text. 003's ON DELETE
-- table: User -> Session CASCADE.
CREATE TABLE sessions (
    id uuid NOT NULL DEFAULT uuidv7(),
    user_id uuid NOT NULL,
    refresh_token_hash text NOT NULL,
    device_info text,
    ip_address inet,
    last_used_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sessions_pkey PRIMARY KEY (id),
    CONSTRAINT sessions_refresh_token_hash_key UNIQUE (refresh_token_hash),
    CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE INDEX idx_sessions_user_id ON sessions (user_id);

-- 003: "Index on lastUsedAt for cleanup queries"; expires_at for the daily cleanup.
CREATE INDEX idx_sessions_last_used_at ON sessions (last_used_at);

CREATE INDEX idx_sessions_expires_at ON sessions (expires_at);
