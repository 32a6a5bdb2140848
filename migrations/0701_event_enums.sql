-- 0701_event_enums: room status and participant role.
-- Serves: 003 "Enums" (RoomStatus, ParticipantRole).
-- Departure: values are lowercase and the types snake_case (002's standard),
-- not 003's quoted "RoomStatus" with DRAFT, ACTIVE, ...
CREATE TYPE room_status AS ENUM ('draft', 'active', 'completed', 'cancelled');

CREATE TYPE participant_role AS ENUM ('admin', 'organizer', 'moderator', 'participant', 'viewer');
