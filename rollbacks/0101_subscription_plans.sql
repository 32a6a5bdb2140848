-- Undoes 0101_subscription_plans.
DROP TABLE subscription_plans;
