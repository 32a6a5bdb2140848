-- 0109_webhook_events: inbound webhooks, recorded once, processed idempotently.
-- Serves: 001 `billing_events` and 002 ERD `WebhookEvent` (folded into one table):
--   unique (provider, external_id), payload_hash, status received/processed/failed.
-- Departures: 001 keys the table by stripe_event_id; here that is external_id
-- under provider 'stripe', so other providers fit the same table. No foreign key
-- on user_id until phase 5. 002's processed_at index is built in 0119.
CREATE TYPE webhook_provider AS ENUM ('stripe', 'lexoffice', 'instagram');

CREATE TABLE webhook_events (
    id uuid NOT NULL DEFAULT uuidv7(),
    provider webhook_provider NOT NULL,
    external_id text NOT NULL,
    event_type text NOT NULL,
    user_id uuid,
    payload_hash text NOT NULL,
    status text NOT NULL DEFAULT 'received',
    received_at timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz,
    CONSTRAINT webhook_events_pkey PRIMARY KEY (id),
    CONSTRAINT webhook_events_provider_external_id_key UNIQUE (provider, external_id),
    CONSTRAINT webhook_events_status_check CHECK (status IN ('received', 'processed', 'failed')),
    CONSTRAINT webhook_events_payload_hash_check CHECK (payload_hash ~ '^[0-9a-f]{64}$')
);
