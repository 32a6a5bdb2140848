-- Undoes 0003_users.
DROP TABLE users;
