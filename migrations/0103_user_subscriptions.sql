-- 0103_user_subscriptions: which plan each user is on, and its Stripe billing state.
-- Serves: 004 user_subscriptions; 001 `billing` (folded in: plan_tier is the
--   plan's tier, stripe ids, status, current period); 000 `billing_user_plan`
--   (folded in: plan and `source`); 002 ERD `Subscription` (unique
--   stripe_subscription_id).
-- Departures: no foreign keys yet (004 phase 1 adds tables "without foreign key
-- constraints"; phase 5 adds them NOT VALID, then validates). `source` says who
-- created the row, so phase 2's rollback removes only the rows it created.
CREATE TABLE user_subscriptions (
    id uuid NOT NULL DEFAULT uuidv7(),
    user_id uuid NOT NULL,
    plan_id uuid NOT NULL,
    stripe_subscription_id text,
    stripe_customer_id text,
    status text NOT NULL DEFAULT 'active',
    source text NOT NULL DEFAULT 'application',
    current_period_start timestamptz,
    current_period_end timestamptz,
    trial_end timestamptz,
    canceled_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT user_subscriptions_pkey PRIMARY KEY (id),
    CONSTRAINT user_subscriptions_stripe_subscription_id_key UNIQUE (stripe_subscription_id),
    CONSTRAINT user_subscriptions_status_check CHECK (
        status IN ('trialing', 'active', 'past_due', 'canceled')
    ),
    CONSTRAINT user_subscriptions_period_check CHECK (current_period_end >= current_period_start)
);
