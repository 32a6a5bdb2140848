-- Undoes 0106_credits.
DROP TABLE credits;
