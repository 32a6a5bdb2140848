-- Undoes 0202_credits_rows: only the rows it created, in batches.
-- toolkit:batch
DELETE FROM credits
WHERE user_id IN (
    SELECT user_id FROM credits
    WHERE source = 'phase_2_backfill'
    ORDER BY user_id
    LIMIT current_setting('toolkit.batch_size')::integer
);
