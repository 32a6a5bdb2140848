-- 0611_instagram_account_snapshots: Instagram account figures over time.
-- Serves: 002 migration 04 (Instagram accounts/analytics), ERD
--   InstagramAccountSnapshot (customer_profile_id FK, recorded_at); indexing
--   plan: composite (customer_profile_id, recorded_at DESC).
CREATE TABLE instagram_account_snapshots (
    id uuid NOT NULL DEFAULT uuidv7(),
    customer_profile_id uuid NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    followers integer,
    following integer,
    posts integer,
    engagement_rate numeric(6, 3),
    raw jsonb,
    CONSTRAINT instagram_account_snapshots_pkey PRIMARY KEY (id),
    CONSTRAINT instagram_account_snapshots_customer_profile_id_fkey FOREIGN KEY (customer_profile_id)
    REFERENCES customer_profiles (id) ON DELETE CASCADE
);

CREATE INDEX idx_instagram_snapshots_profile_recorded
ON instagram_account_snapshots (customer_profile_id, recorded_at DESC);
