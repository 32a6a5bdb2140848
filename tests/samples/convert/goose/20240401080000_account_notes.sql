-- +goose NO TRANSACTION

-- +goose Up
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS note text;
COMMENT ON COLUMN accounts.note IS 'free text from support';

-- +goose Down
ALTER TABLE accounts DROP COLUMN IF EXISTS note;
