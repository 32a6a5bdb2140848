-- Deploy shop:drop_legacy_flag to pg

BEGIN;

ALTER TABLE accounts DROP COLUMN legacy_flag;

COMMIT;
