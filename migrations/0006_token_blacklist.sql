-- 0006_token_blacklist: revoked access tokens until they expire.
-- Serves: 003 "TokenBlacklist Table".
-- Departures: snake_case columns (002's standard) instead of 003's quoted
-- camelCase; timestamptz instead of TIMESTAMP(3); uuid ids with foreign keys.
-- 003's separate index on tokenHash is dropped: the unique constraint is one.
CREATE TABLE token_blacklist (
    id uuid NOT NULL DEFAULT uuidv7(),
    token_hash text NOT NULL,
    user_id uuid NOT NULL,
    reason text,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz NOT NULL DEFAULT now(),
    revoked_by uuid,
    CONSTRAINT token_blacklist_pkey PRIMARY KEY (id),
    CONSTRAINT token_blacklist_token_hash_key UNIQUE (token_hash),
    CONSTRAINT token_blacklist_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT token_blacklist_revoked_by_fkey FOREIGN KEY (revoked_by) REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX idx_token_blacklist_expires_at ON token_blacklist (expires_at);

CREATE INDEX idx_token_blacklist_user_id ON token_blacklist (user_id);
