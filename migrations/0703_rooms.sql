-- 0703_rooms: events (rooms) run with an app and organised by a user.
-- Serves: 003 tables `rooms` (appSettings JSON, soft delete), 003's ON DELETE
--   table (App -> Room RESTRICT; User -> Room organizer RESTRICT) and composite
--   index [status, isPublic, appId].
-- Departures: snake_case; rooms.app_id references apps.id (uuid), not the text
-- app_id; created_by is 003's organizer.
CREATE TABLE rooms (
    id uuid NOT NULL DEFAULT uuidv7(),
    app_id uuid NOT NULL,
    created_by uuid NOT NULL,
    name text NOT NULL,
    status room_status NOT NULL DEFAULT 'draft',
    is_public boolean NOT NULL DEFAULT false,
    app_settings jsonb NOT NULL DEFAULT '{}'::jsonb,
    starts_at timestamptz,
    ends_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    CONSTRAINT rooms_pkey PRIMARY KEY (id),
    CONSTRAINT rooms_app_id_fkey FOREIGN KEY (app_id) REFERENCES apps (id) ON DELETE RESTRICT,
    CONSTRAINT rooms_created_by_fkey FOREIGN KEY (created_by) REFERENCES users (id) ON DELETE RESTRICT,
    CONSTRAINT rooms_period_check CHECK (ends_at > starts_at)
);

CREATE INDEX idx_rooms_status_public_app ON rooms (status, is_public, app_id);

CREATE INDEX idx_rooms_app_id ON rooms (app_id);

CREATE INDEX idx_rooms_created_by ON rooms (created_by);

CREATE INDEX idx_rooms_deleted_at ON rooms (deleted_at);
