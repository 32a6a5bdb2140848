-- 0704_participants: who takes part in a room, in which role.
-- Serves: 003 tables `participants` (metadata JSON, soft delete = left the
--   room), unique userId+roomId, composite index [roomId, role]; ON DELETE:
--   User -> Participant CASCADE, Room -> Participant CASCADE.
CREATE TABLE participants (
    id uuid NOT NULL DEFAULT uuidv7(),
    room_id uuid NOT NULL,
    user_id uuid NOT NULL,
    role participant_role NOT NULL DEFAULT 'participant',
    metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
    joined_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    CONSTRAINT participants_pkey PRIMARY KEY (id),
    CONSTRAINT participants_user_room_key UNIQUE (user_id, room_id),
    CONSTRAINT participants_room_id_fkey FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE,
    CONSTRAINT participants_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE INDEX idx_participants_room_role ON participants (room_id, role);
