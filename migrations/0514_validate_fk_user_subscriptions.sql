-- 0514_validate_fk_user_subscriptions: validate the foreign keys 0501 added NOT VALID.
-- Serves: 004 phase 5 "Final data consistency checks". VALIDATE CONSTRAINT
-- takes SHARE UPDATE EXCLUSIVE on user_subscriptions: reads and writes go on while it scans.
-- Phase 5's pre-checks refuse to start when a row would fail it.
ALTER TABLE user_subscriptions VALIDATE CONSTRAINT user_subscriptions_user_id_fkey;

ALTER TABLE user_subscriptions VALIDATE CONSTRAINT user_subscriptions_plan_id_fkey;
