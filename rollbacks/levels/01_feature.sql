-- Phase 1 feature rollback: 004 "Level 3: Feature Rollback (Disable new
-- features, keep data)". The plans this toolkit created are switched off;
-- subscriptions, credits and every other row stay for re-enablement:
--   UPDATE subscription_plans SET is_active = true
--   WHERE name IN ('Free', 'Starter', 'Pro', 'Power');
UPDATE subscription_plans
SET is_active = false, updated_at = now()
WHERE name IN ('Free', 'Starter', 'Pro', 'Power') AND is_active;
