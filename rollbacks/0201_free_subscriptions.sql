-- Undoes 0201_free_subscriptions: only the rows it created, in batches. A Free
-- subscription a user chose (source 'application') is kept.
-- toolkit:batch
DELETE FROM user_subscriptions
WHERE id IN (
    SELECT id FROM user_subscriptions
    WHERE source = 'phase_2_backfill'
    ORDER BY id
    LIMIT current_setting('toolkit.batch_size')::integer
);
