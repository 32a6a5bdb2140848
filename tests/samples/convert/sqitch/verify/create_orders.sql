-- Verify shop:create_orders on pg

SELECT id, account_id, total, created_at FROM orders WHERE FALSE;
