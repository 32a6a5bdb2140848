-- Undoes 0515_validate_fk_usage_metrics: the keys go back to NOT VALID, exactly as 0502 left them
-- (PostgreSQL cannot un-validate a constraint in place).
ALTER TABLE usage_metrics DROP CONSTRAINT usage_metrics_user_id_fkey;

ALTER TABLE usage_metrics
ADD CONSTRAINT usage_metrics_user_id_fkey
FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE NOT VALID;

ALTER TABLE usage_metrics DROP CONSTRAINT usage_metrics_subscription_id_fkey;

ALTER TABLE usage_metrics
ADD CONSTRAINT usage_metrics_subscription_id_fkey
FOREIGN KEY (subscription_id) REFERENCES user_subscriptions (id) NOT VALID;
