-- transactional: false
-- depends: 0001.create-accounts
CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_status_idx ON accounts (status);
