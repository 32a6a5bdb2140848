-- 0502_fk_usage_metrics: foreign keys of usage_metrics, added NOT VALID.
-- Serves: 004 phase 1 "without foreign key constraints" and phase 5 finalization:
-- the keys arrive now, NOT VALID, so adding them takes only a brief lock and
-- scans nothing; step 0515 validates them without blocking writes.
-- Keys: usage_metrics_user_id_fkey (004: ON DELETE CASCADE); usage_metrics_subscription_id_fkey (004).
ALTER TABLE usage_metrics
ADD CONSTRAINT usage_metrics_user_id_fkey
FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE NOT VALID;

ALTER TABLE usage_metrics
ADD CONSTRAINT usage_metrics_subscription_id_fkey
FOREIGN KEY (subscription_id) REFERENCES user_subscriptions (id) NOT VALID;
