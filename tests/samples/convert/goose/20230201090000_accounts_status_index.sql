-- +goose NO TRANSACTION
-- +goose Up
CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_status_idx ON accounts (status);

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS accounts_status_idx;
