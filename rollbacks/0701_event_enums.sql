-- Undoes 0701_event_enums.
DROP TYPE participant_role;

DROP TYPE room_status;
