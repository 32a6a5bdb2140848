-- 0708_backfill_room_manifest_versions: lock every room to its app's version.
-- Serves: 003 "Update all rooms for this app" (rooms locked to the version of
--   their app at backfill time), in batches.
-- toolkit:batch
UPDATE rooms AS r
SET app_manifest_version = a.manifest_version
FROM apps AS a
WHERE
    r.app_id = a.id
    AND r.id IN (
        SELECT r2.id FROM rooms AS r2
        INNER JOIN apps AS a2 ON r2.app_id = a2.id
        WHERE r2.app_manifest_version IS DISTINCT FROM a2.manifest_version
        ORDER BY r2.id
        LIMIT current_setting('toolkit.batch_size')::integer
    );
