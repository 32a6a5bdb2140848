-- migrate:up
ALTER TABLE accounts DROP COLUMN legacy_flag;

-- migrate:down
-- Not reversible: the flag's values are gone.
