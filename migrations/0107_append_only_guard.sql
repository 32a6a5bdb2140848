-- 0107_append_only_guard: the trigger function that keeps a table append-only.
-- Serves: 000 "Immutability expectations" (tool runs, template downloads,
--   donations, audit logs are append-only; corrections are new rows) and 001's
--   credit_ledger.
CREATE FUNCTION reject_row_change() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION '% on %.% is not allowed: the table is append-only; insert a correcting row instead',
        tg_op, tg_table_schema, tg_table_name
        USING ERRCODE = 'insufficient_privilege';
END
$$;
