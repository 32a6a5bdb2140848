-- 0003_users: user accounts.
-- Serves: 001 `users`, 000 `auth_users`, 004 "Current Database Analysis" (users),
--   002 ERD `User` and migration 01.
-- Departures:
-- - email is nullable: 001 notes Apple may return an email only on the first
--   login, so provider ids (auth_accounts) are the primary identity link and the
--   email is the merge key only when present. Stored lowercase (001), enforced.
-- - 001's auth_providers jsonb array is folded into auth_accounts (one row per
--   provider identity, unique and indexable) instead of a column here.
-- - 000's entitlements/entitlement_source are covered by plan_override here and
--   by user_subscriptions (phase 1).
CREATE TABLE users (
    id uuid NOT NULL DEFAULT uuidv7(),
    email text,
    display_name text,
    image text,
    role user_role NOT NULL DEFAULT 'user',
    status user_status NOT NULL DEFAULT 'active',
    is_internal boolean NOT NULL DEFAULT false,
    plan_override text,
    last_seen_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_email_lowercase_check CHECK (email = lower(email)),
    CONSTRAINT users_plan_override_check CHECK (plan_override IN ('free', 'starter', 'pro', 'power'))
);
