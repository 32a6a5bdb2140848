-- Undoes 0102_subscription_plan_rows: only the rows it inserted.
DELETE FROM subscription_plans
WHERE name IN ('Free', 'Starter', 'Pro', 'Power');
