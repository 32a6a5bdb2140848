-- Undoes 0502_fk_usage_metrics.
ALTER TABLE usage_metrics DROP CONSTRAINT usage_metrics_user_id_fkey;

ALTER TABLE usage_metrics DROP CONSTRAINT usage_metrics_subscription_id_fkey;
