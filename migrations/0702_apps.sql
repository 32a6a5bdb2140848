-- 0702_apps: registered applications and their manifests.
-- Serves: 003 tables `apps` (manifest JSON, soft delete, unique appId).
-- Departures: snake_case columns (app_id, not "appId"); jsonb; uuid primary key
-- with the public app_id as a unique natural key. 003's manifest versioning
-- columns arrive in 0707 exactly as 003's own migration adds them.
CREATE TABLE apps (
    id uuid NOT NULL DEFAULT uuidv7(),
    app_id text NOT NULL,
    name text NOT NULL,
    description text,
    owner_id uuid,
    manifest jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    CONSTRAINT apps_pkey PRIMARY KEY (id),
    CONSTRAINT apps_app_id_key UNIQUE (app_id),
    CONSTRAINT apps_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX idx_apps_deleted_at ON apps (deleted_at);
