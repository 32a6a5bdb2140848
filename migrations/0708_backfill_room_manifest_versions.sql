-- 0708_backfill_room_manifest_versions: lock every room to its app's version.
-- Serves: 003 "Update all rooms for this app" (rooms locked to the version of
--   their app at backfill time), in batches.
-- Keyset as in 0707 (session setting toolkit.rooms_backfilled_to): a batch
-- starts after the last room the one before updated, and looks from the start
-- once when nothing is left after it.
-- toolkit:batch
WITH after_last AS (
    SELECT r.id FROM rooms AS r
    INNER JOIN apps AS a ON r.app_id = a.id
    WHERE
        r.id > coalesce(
            nullif(current_setting('toolkit.rooms_backfilled_to', true), ''),
            '00000000-0000-0000-0000-000000000000'
        )::uuid
        AND r.app_manifest_version IS DISTINCT FROM a.manifest_version
    ORDER BY r.id
    LIMIT current_setting('toolkit.batch_size')::integer
),

pending AS (
    SELECT l.id FROM after_last AS l
    UNION ALL
    (
        SELECT r.id FROM rooms AS r
        INNER JOIN apps AS a ON r.app_id = a.id
        WHERE
            NOT EXISTS (SELECT 1 FROM after_last)
            AND r.app_manifest_version IS DISTINCT FROM a.manifest_version
        ORDER BY r.id
        LIMIT current_setting('toolkit.batch_size')::integer
    )
),

backfilled AS (
    UPDATE rooms AS r
    SET app_manifest_version = a.manifest_version
    FROM pending AS p, apps AS a
    WHERE r.id = p.id AND r.app_id = a.id
    RETURNING r.id
)

-- one row per room updated: the runner counts them to know when it is done
SELECT
    set_config(
        'toolkit.rooms_backfilled_to',
        (SELECT b.id FROM backfilled AS b ORDER BY b.id DESC LIMIT 1)::text,
        false
    ) AS backfilled_to
FROM backfilled;
