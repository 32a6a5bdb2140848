-- 0515_validate_fk_usage_metrics: validate the foreign keys 0502 added NOT VALID.
-- Serves: 004 phase 5 "Final data consistency checks". VALIDATE CONSTRAINT
-- takes SHARE UPDATE EXCLUSIVE on usage_metrics: reads and writes go on while it scans.
-- Phase 5's pre-checks refuse to start when a row would fail it.
ALTER TABLE usage_metrics VALIDATE CONSTRAINT usage_metrics_user_id_fkey;

ALTER TABLE usage_metrics VALIDATE CONSTRAINT usage_metrics_subscription_id_fkey;
