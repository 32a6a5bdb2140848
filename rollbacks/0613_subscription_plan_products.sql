-- Undoes 0613_subscription_plan_products.
ALTER TABLE subscription_plans DROP CONSTRAINT subscription_plans_product_id_fkey;

ALTER TABLE subscription_plans DROP COLUMN stripe_price_id;

ALTER TABLE subscription_plans DROP COLUMN product_id;
