-- 0106_credits: each user's credit balance and quotas.
-- Serves: 001 `credits`.
-- Departures: no foreign key until phase 5; `source` says who created the row
-- (phase 2 creates one per existing user and must remove only those).
CREATE TABLE credits (
    user_id uuid NOT NULL,
    monthly_quota integer NOT NULL,
    balance integer NOT NULL,
    daily_cap integer,
    daily_used integer NOT NULL DEFAULT 0,
    source text NOT NULL DEFAULT 'application',
    last_daily_reset_at timestamptz,
    last_monthly_reset_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT credits_pkey PRIMARY KEY (user_id),
    CONSTRAINT credits_monthly_quota_check CHECK (monthly_quota >= 0),
    CONSTRAINT credits_daily_cap_check CHECK (daily_cap >= 0),
    CONSTRAINT credits_daily_used_check CHECK (daily_used >= 0)
);
