-- Revert shop:account_notes from pg

BEGIN;
ALTER TABLE accounts DROP COLUMN IF EXISTS note;
COMMIT;
