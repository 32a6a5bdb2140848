-- migrate:up transaction:false
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS note text;
COMMENT ON COLUMN accounts.note IS 'free text from support';

-- migrate:down
ALTER TABLE accounts DROP COLUMN IF EXISTS note;
