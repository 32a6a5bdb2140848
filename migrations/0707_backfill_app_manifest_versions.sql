-- 0707_backfill_app_manifest_versions: each app's version from its manifest.
-- Serves: 003 "Data Migration Script" (version = manifest.meta.version, else
--   1.0.0; history starts empty), as set-based batches instead of 003's
--   row-by-row loop. A row once done no longer matches, so a rerun resumes.
-- Keyset: each batch starts after the last app the one before updated (kept
-- in the session setting toolkit.apps_backfilled_to), so a batch reads its own
-- rows, not every row done before it again: `ORDER BY id LIMIT n` alone rescans
-- the done rows from the start each batch, quadratic over a large table. When
-- nothing is left after that point (or in a new session, after a crash), the
-- batch looks from the start once, so a row changed behind it is not missed.
-- toolkit:batch
WITH after_last AS (
    SELECT a.id FROM apps AS a
    WHERE
        a.id > coalesce(
            nullif(current_setting('toolkit.apps_backfilled_to', true), ''),
            '00000000-0000-0000-0000-000000000000'
        )::uuid
        AND a.manifest -> 'meta' ->> 'version' IS NOT null
        AND a.manifest_version IS DISTINCT FROM a.manifest -> 'meta' ->> 'version'
    ORDER BY a.id
    LIMIT current_setting('toolkit.batch_size')::integer
),

pending AS (
    SELECT l.id FROM after_last AS l
    UNION ALL
    (
        SELECT a.id FROM apps AS a
        WHERE
            NOT EXISTS (SELECT 1 FROM after_last)
            AND a.manifest -> 'meta' ->> 'version' IS NOT null
            AND a.manifest_version IS DISTINCT FROM a.manifest -> 'meta' ->> 'version'
        ORDER BY a.id
        LIMIT current_setting('toolkit.batch_size')::integer
    )
),

backfilled AS (
    UPDATE apps AS a
    SET manifest_version = a.manifest -> 'meta' ->> 'version'
    FROM pending AS p
    WHERE a.id = p.id
    RETURNING a.id
)

-- one row per app updated: the runner counts them to know when it is done
SELECT
    set_config(
        'toolkit.apps_backfilled_to',
        (SELECT b.id FROM backfilled AS b ORDER BY b.id DESC LIMIT 1)::text,
        false
    ) AS backfilled_to
FROM backfilled;
