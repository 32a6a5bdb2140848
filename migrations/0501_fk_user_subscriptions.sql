-- 0501_fk_user_subscriptions: foreign keys of user_subscriptions, added NOT VALID.
-- Serves: 004 phase 1 "without foreign key constraints" and phase 5 finalization:
-- the keys arrive now, NOT VALID, so adding them takes only a brief lock and
-- scans nothing; step 0514 validates them without blocking writes.
-- Keys: user_subscriptions_user_id_fkey (004: ON DELETE CASCADE); user_subscriptions_plan_id_fkey (004).
ALTER TABLE user_subscriptions
ADD CONSTRAINT user_subscriptions_user_id_fkey
FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE NOT VALID;

ALTER TABLE user_subscriptions
ADD CONSTRAINT user_subscriptions_plan_id_fkey
FOREIGN KEY (plan_id) REFERENCES subscription_plans (id) NOT VALID;
