-- +goose Up
ALTER TABLE accounts DROP COLUMN legacy_flag;

-- +goose Down
-- Not reversible: the flag's values are gone.
