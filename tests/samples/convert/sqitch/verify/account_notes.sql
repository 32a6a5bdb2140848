-- Verify shop:account_notes on pg

DO $$
BEGIN
    ASSERT (SELECT count(*) FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'note') = 1;
END
$$;
