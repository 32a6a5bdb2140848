-- 0610_integration_credentials: credentials for third-party services.
-- Serves: 002 ERD IntegrationCredential (owner_type ENUM, owner_id, service
--   ENUM); 004 "Encrypt Stripe tokens using application-level encryption".
-- owner_id is polymorphic (owner_type says which table), so it has no foreign
-- key; secrets are stored only encrypted (bytea from the application).
CREATE TABLE integration_credentials (
    id uuid NOT NULL DEFAULT uuidv7(),
    owner_type integration_owner_type NOT NULL,
    owner_id uuid,
    service integration_service NOT NULL,
    credentials_encrypted bytea NOT NULL,
    key_version integer NOT NULL DEFAULT 1,
    expires_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT integration_credentials_pkey PRIMARY KEY (id),
    CONSTRAINT integration_credentials_owner_service_key UNIQUE NULLS NOT DISTINCT (owner_type, owner_id, service),
    CONSTRAINT integration_credentials_owner_check CHECK ((owner_type = 'platform') = (owner_id IS NULL))
);
