-- 0601_commerce_enums: the enumerations 002 names as ENUMs.
-- Serves: 002 migration 02 "shared currency enum"; 002 ERD
--   IntegrationCredential (owner_type ENUM, service ENUM).
-- Statuses elsewhere are text with CHECK constraints: they change more often,
-- and a CHECK can be replaced NOT VALID, an enum value cannot be removed.
CREATE TYPE currency_code AS ENUM ('EUR', 'USD', 'GBP', 'CHF');

CREATE TYPE integration_owner_type AS ENUM ('user', 'customer_profile', 'platform');

CREATE TYPE integration_service AS ENUM ('stripe', 'lexoffice', 'instagram');
