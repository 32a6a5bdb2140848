-- 0613_subscription_plan_products: link subscription plans to products and Stripe prices.
-- Serves: 002 ERD SubscriptionPlan (product_id FK, stripe_price_id UNIQUE) and
--   migration 05 "subscription plans"; one table with 004's subscription_plans.
-- subscription_plans is live: nullable columns without defaults are catalog-only
-- changes; the key is added NOT VALID (no scan under lock) and validated in
-- 0614; the unique index on stripe_price_id is built concurrently in 0615.
ALTER TABLE subscription_plans ADD COLUMN product_id uuid;

ALTER TABLE subscription_plans ADD COLUMN stripe_price_id text;

ALTER TABLE subscription_plans
ADD CONSTRAINT subscription_plans_product_id_fkey
FOREIGN KEY (product_id) REFERENCES products (id) NOT VALID;
