-- 0705_prizes_winners: prizes of a room and the participants who won them.
-- Serves: 003 tables `prizes`, `winners` (metadata JSON, soft delete), the
--   "Prize Deletion Policy" and ON DELETE table: Room -> Prize CASCADE,
--   Room -> Winner CASCADE, Participant -> Winner CASCADE, Prize -> Winner
--   RESTRICT (a prize with winners can only be soft-deleted); composite index
--   [roomId, prizeId] on winners.
CREATE TABLE prizes (
    id uuid NOT NULL DEFAULT uuidv7(),
    room_id uuid NOT NULL,
    name text NOT NULL,
    description text,
    quantity integer NOT NULL DEFAULT 1,
    metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    CONSTRAINT prizes_pkey PRIMARY KEY (id),
    CONSTRAINT prizes_room_id_fkey FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE,
    CONSTRAINT prizes_quantity_check CHECK (quantity > 0)
);

CREATE INDEX idx_prizes_room_id ON prizes (room_id);

CREATE TABLE winners (
    id uuid NOT NULL DEFAULT uuidv7(),
    room_id uuid NOT NULL,
    participant_id uuid NOT NULL,
    prize_id uuid NOT NULL,
    metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
    drawn_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    CONSTRAINT winners_pkey PRIMARY KEY (id),
    CONSTRAINT winners_room_id_fkey FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE CASCADE,
    CONSTRAINT winners_participant_id_fkey FOREIGN KEY (participant_id)
    REFERENCES participants (id) ON DELETE CASCADE,
    CONSTRAINT winners_prize_id_fkey FOREIGN KEY (prize_id) REFERENCES prizes (id) ON DELETE RESTRICT
);

CREATE INDEX idx_winners_room_prize ON winners (room_id, prize_id);

CREATE INDEX idx_winners_participant_id ON winners (participant_id);

CREATE INDEX idx_winners_prize_id ON winners (prize_id);
