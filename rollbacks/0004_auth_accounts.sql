-- Undoes 0004_auth_accounts.
DROP TABLE auth_accounts;
