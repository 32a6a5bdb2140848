-- 0615_uq_subscription_plans_stripe_price_id: 002's unique Stripe price id.
-- Built CONCURRENTLY: subscription_plans is read on every subscription lookup.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_subscription_plans_stripe_price_id
ON subscription_plans (stripe_price_id);
