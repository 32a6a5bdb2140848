-- Verify shop:accounts_status_index on pg

SELECT 1 / count(*) FROM pg_indexes WHERE indexname = 'accounts_status_idx';
