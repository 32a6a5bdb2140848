-- Deploy shop:accounts_status_index to pg

CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_status_idx ON accounts (status);
