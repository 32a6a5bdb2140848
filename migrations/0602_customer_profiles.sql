-- 0602_customer_profiles: a user's customer-facing profile (one per user).
-- Serves: 002 migration 02 and ERD CustomerProfile (user_id FK).
CREATE TABLE customer_profiles (
    id uuid NOT NULL DEFAULT uuidv7(),
    user_id uuid NOT NULL,
    company_name text,
    vat_id text,
    phone text,
    billing_address jsonb,
    instagram_handle text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    CONSTRAINT customer_profiles_pkey PRIMARY KEY (id),
    CONSTRAINT customer_profiles_user_id_key UNIQUE (user_id),
    CONSTRAINT customer_profiles_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
