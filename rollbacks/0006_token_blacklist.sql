-- Undoes 0006_token_blacklist.
DROP TABLE token_blacklist;
