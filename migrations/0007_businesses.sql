-- 0007_businesses: the businesses users own and analyse.
-- Serves: 004 "Current Database Analysis" (businesses; owner_id -> users).
-- Owners are soft-deleted, so deleting a user who owns businesses is refused
-- (RESTRICT) rather than silently deleting business history.
CREATE TABLE businesses (
    id uuid NOT NULL DEFAULT uuidv7(),
    owner_id uuid NOT NULL,
    name text NOT NULL,
    industry text,
    description text,
    website text,
    annual_revenue numeric(14, 2),
    employee_count integer,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    CONSTRAINT businesses_pkey PRIMARY KEY (id),
    CONSTRAINT businesses_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES users (id) ON DELETE RESTRICT,
    CONSTRAINT businesses_employee_count_check CHECK (employee_count >= 0)
);

CREATE INDEX idx_businesses_owner_id ON businesses (owner_id);
