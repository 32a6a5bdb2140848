-- 0302_portfolios: named groups of businesses a user follows.
-- Serves: 004 phase 3 "Implement portfolio management tables" (portfolios).
-- "At most one default portfolio per user" is the unique partial index 0306.
-- Foreign keys come in phase 5.
CREATE TABLE portfolios (
    id uuid NOT NULL DEFAULT uuidv7(),
    user_id uuid NOT NULL,
    name text NOT NULL,
    description text,
    is_default boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT portfolios_pkey PRIMARY KEY (id)
);
