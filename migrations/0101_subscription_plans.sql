-- 0101_subscription_plans: the plans users subscribe to.
-- Serves: 004 "Subscription Management Tables" (subscription_plans), 001 plan
--   tiers (free, starter, pro, power) and per-plan credit quotas (credits).
-- Departures from 004's SQL: uuid ids (not VARCHAR), timestamptz, jsonb,
-- NOT NULL where 004 gives a default, CHECKs on the enumerated text columns.
-- tier, monthly_credits and daily_credit_cap carry 001's plan tiers and quotas,
-- from which phase 2 creates each user's credits row.
CREATE TABLE subscription_plans (
    id uuid NOT NULL DEFAULT uuidv7(),
    name text NOT NULL,
    tier text NOT NULL,
    description text,
    price numeric(10, 2) NOT NULL,
    currency text NOT NULL DEFAULT 'USD',
    billing_period text NOT NULL,
    ai_analysis_limit integer,
    monthly_credits integer NOT NULL,
    daily_credit_cap integer,
    features jsonb NOT NULL DEFAULT '{}'::jsonb,
    is_active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT subscription_plans_pkey PRIMARY KEY (id),
    CONSTRAINT subscription_plans_name_key UNIQUE (name),
    CONSTRAINT subscription_plans_tier_check CHECK (tier IN ('free', 'starter', 'pro', 'power')),
    CONSTRAINT subscription_plans_price_check CHECK (price >= 0),
    CONSTRAINT subscription_plans_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT subscription_plans_billing_period_check CHECK (billing_period IN ('monthly', 'yearly')),
    CONSTRAINT subscription_plans_ai_analysis_limit_check CHECK (ai_analysis_limit >= 0),
    CONSTRAINT subscription_plans_monthly_credits_check CHECK (monthly_credits >= 0),
    CONSTRAINT subscription_plans_daily_credit_cap_check CHECK (daily_credit_cap >= 0)
);
