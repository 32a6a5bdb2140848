-- Undoes 0610_integration_credentials.
DROP TABLE integration_credentials;
