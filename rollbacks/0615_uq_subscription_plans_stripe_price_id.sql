-- Undoes 0615_uq_subscription_plans_stripe_price_id.
DROP INDEX CONCURRENTLY IF EXISTS uq_subscription_plans_stripe_price_id;
