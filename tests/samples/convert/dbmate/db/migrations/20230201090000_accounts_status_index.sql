-- migrate:up transaction:false
CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_status_idx ON accounts (status);

-- migrate:down transaction:false
DROP INDEX CONCURRENTLY IF EXISTS accounts_status_idx;
