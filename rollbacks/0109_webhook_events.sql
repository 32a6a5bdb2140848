-- Undoes 0109_webhook_events.
DROP TABLE webhook_events;

DROP TYPE webhook_provider;
