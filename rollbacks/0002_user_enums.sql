-- Undoes 0002_user_enums.
DROP TYPE user_status;

DROP TYPE user_role;
