-- 0506_fk_webhook_events: foreign keys of webhook_events, added NOT VALID.
-- Serves: 004 phase 1 "without foreign key constraints" and phase 5 finalization:
-- the keys arrive now, NOT VALID, so adding them takes only a brief lock and
-- scans nothing; step 0519 validates them without blocking writes.
-- Keys: webhook_events_user_id_fkey (001: user_id is nullable when unresolved).
ALTER TABLE webhook_events
ADD CONSTRAINT webhook_events_user_id_fkey
FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL NOT VALID;
