-- Verify shop:create_accounts on pg

BEGIN;

SELECT id, email, status, updated_at FROM accounts WHERE FALSE;
SELECT 1 / count(*) FROM pg_proc WHERE proname = 'touch_updated_at';

ROLLBACK;
