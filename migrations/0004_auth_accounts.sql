-- 0004_auth_accounts: sign-in identities from OAuth providers, several per user.
-- Serves: 000 `auth_accounts`; 001 `users.auth_providers` (folded in here) and its
--   note that provider ids are the primary identity link.
-- Tokens are stored as the application gives them; 004 "Security Considerations"
-- asks the application to encrypt them before they reach the database.
CREATE TABLE auth_accounts (
    id uuid NOT NULL DEFAULT uuidv7(),
    user_id uuid NOT NULL,
    provider text NOT NULL,
    provider_account_id text NOT NULL,
    access_token text,
    refresh_token text,
    id_token text,
    token_type text,
    scope text,
    expires_at timestamptz,
    metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT auth_accounts_pkey PRIMARY KEY (id),
    CONSTRAINT auth_accounts_provider_account_key UNIQUE (provider, provider_account_id),
    CONSTRAINT auth_accounts_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE INDEX idx_auth_accounts_user_id ON auth_accounts (user_id);
