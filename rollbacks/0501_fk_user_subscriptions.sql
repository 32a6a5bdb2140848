-- Undoes 0501_fk_user_subscriptions.
ALTER TABLE user_subscriptions DROP CONSTRAINT user_subscriptions_user_id_fkey;

ALTER TABLE user_subscriptions DROP CONSTRAINT user_subscriptions_plan_id_fkey;
