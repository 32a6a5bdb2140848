-- Undoes 0708_backfill_room_manifest_versions: rooms go back to the default.
-- toolkit:batch
UPDATE rooms
SET app_manifest_version = '1.0.0'
WHERE id IN (
    SELECT id FROM rooms
    WHERE app_manifest_version <> '1.0.0'
    ORDER BY id
    LIMIT current_setting('toolkit.batch_size')::integer
);
