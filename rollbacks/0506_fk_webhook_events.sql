-- Undoes 0506_fk_webhook_events.
ALTER TABLE webhook_events DROP CONSTRAINT webhook_events_user_id_fkey;
