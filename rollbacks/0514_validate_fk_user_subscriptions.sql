-- Undoes 0514_validate_fk_user_subscriptions: the keys go back to NOT VALID, exactly as 0501 left them
-- (PostgreSQL cannot un-validate a constraint in place).
ALTER TABLE user_subscriptions DROP CONSTRAINT user_subscriptions_user_id_fkey;

ALTER TABLE user_subscriptions
ADD CONSTRAINT user_subscriptions_user_id_fkey
FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE NOT VALID;

ALTER TABLE user_subscriptions DROP CONSTRAINT user_subscriptions_plan_id_fkey;

ALTER TABLE user_subscriptions
ADD CONSTRAINT user_subscriptions_plan_id_fkey
FOREIGN KEY (plan_id) REFERENCES subscription_plans (id) NOT VALID;
