-- 0519_validate_fk_webhook_events: validate the foreign keys 0506 added NOT VALID.
-- Serves: 004 phase 5 "Final data consistency checks". VALIDATE CONSTRAINT
-- takes SHARE UPDATE EXCLUSIVE on webhook_events: reads and writes go on while it scans.
-- Phase 5's pre-checks refuse to start when a row would fail it.
ALTER TABLE webhook_events VALIDATE CONSTRAINT webhook_events_user_id_fkey;
