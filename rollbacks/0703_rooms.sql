-- Undoes 0703_rooms.
DROP TABLE rooms;
