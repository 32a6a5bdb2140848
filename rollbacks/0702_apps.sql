-- Undoes 0702_apps.
DROP TABLE apps;
