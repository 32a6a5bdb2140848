-- Revert shop:accounts_status_index from pg

DROP INDEX CONCURRENTLY IF EXISTS accounts_status_idx;
