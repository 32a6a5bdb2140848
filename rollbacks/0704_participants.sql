-- Undoes 0704_participants.
DROP TABLE participants;
