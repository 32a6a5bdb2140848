-- Undoes 0614_validate_subscription_plan_products.
-- The key goes back to NOT VALID, exactly as 0613 left it.
ALTER TABLE subscription_plans DROP CONSTRAINT subscription_plans_product_id_fkey;

ALTER TABLE subscription_plans
ADD CONSTRAINT subscription_plans_product_id_fkey
FOREIGN KEY (product_id) REFERENCES products (id) NOT VALID;
