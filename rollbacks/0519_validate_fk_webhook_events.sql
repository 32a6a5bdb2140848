-- Undoes 0519_validate_fk_webhook_events: the keys go back to NOT VALID, exactly as 0506 left them
-- (PostgreSQL cannot un-validate a constraint in place).
ALTER TABLE webhook_events DROP CONSTRAINT webhook_events_user_id_fkey;

ALTER TABLE webhook_events
ADD CONSTRAINT webhook_events_user_id_fkey
FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL NOT VALID;
