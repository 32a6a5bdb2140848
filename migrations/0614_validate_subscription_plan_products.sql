-- 0614_validate_subscription_plan_products: validate the key 0613 added NOT VALID.
-- Serves: 002 ERD SubscriptionPlan.product_id FK. SHARE UPDATE EXCLUSIVE only.
ALTER TABLE subscription_plans VALIDATE CONSTRAINT subscription_plans_product_id_fkey;
