-- depends: 0002.accounts-status-index
ALTER TABLE accounts DROP COLUMN legacy_flag;
