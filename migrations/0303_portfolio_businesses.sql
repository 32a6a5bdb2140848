-- 0303_portfolio_businesses: which businesses are in which portfolio.
-- Serves: 004 portfolio_businesses (UNIQUE (portfolio_id, business_id)).
-- 004's ON DELETE CASCADE on both references arrives with the foreign keys in
-- phase 5.
CREATE TABLE portfolio_businesses (
    id uuid NOT NULL DEFAULT uuidv7(),
    portfolio_id uuid NOT NULL,
    business_id uuid NOT NULL,
    added_at timestamptz NOT NULL DEFAULT now(),
    notes text,
    CONSTRAINT portfolio_businesses_pkey PRIMARY KEY (id),
    CONSTRAINT portfolio_businesses_portfolio_business_key UNIQUE (portfolio_id, business_id)
);
