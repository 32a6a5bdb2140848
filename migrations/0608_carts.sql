-- 0608_carts: shopping carts, for signed-in users or anonymous sessions.
-- Serves: 002 ERD Cart (user_id FK nullable, session_id).
CREATE TABLE carts (
    id uuid NOT NULL DEFAULT uuidv7(),
    user_id uuid,
    session_id text,
    currency currency_code NOT NULL DEFAULT 'EUR',
    items jsonb NOT NULL DEFAULT '[]'::jsonb,
    expires_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT carts_pkey PRIMARY KEY (id),
    CONSTRAINT carts_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT carts_owner_check CHECK (user_id IS NOT NULL OR session_id IS NOT NULL)
);

CREATE INDEX idx_carts_user_id ON carts (user_id);

CREATE INDEX idx_carts_session_id ON carts (session_id);
