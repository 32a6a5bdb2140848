-- Deploy shop:account_notes to pg

BEGIN;

ALTER TABLE accounts ADD COLUMN IF NOT EXISTS note text;
COMMENT ON COLUMN accounts.note IS 'free text from support';

COMMIT;
