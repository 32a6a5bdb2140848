-- Undoes 0707_backfill_app_manifest_versions: versions taken from the manifest
-- go back to the column default. (0706's rollback then drops the column.)
-- Keyset as in 0707 (session setting toolkit.apps_reset_to).
-- toolkit:batch
WITH after_last AS (
    SELECT a.id FROM apps AS a
    WHERE
        a.id > coalesce(
            nullif(current_setting('toolkit.apps_reset_to', true), ''),
            '00000000-0000-0000-0000-000000000000'
        )::uuid
        AND a.manifest_version <> '1.0.0'
        AND a.manifest_version = a.manifest -> 'meta' ->> 'version'
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
            AND a.manifest_version <> '1.0.0'
            AND a.manifest_version = a.manifest -> 'meta' ->> 'version'
        ORDER BY a.id
        LIMIT current_setting('toolkit.batch_size')::integer
    )
),

reset AS (
    UPDATE apps AS a
    SET manifest_version = '1.0.0'
    FROM pending AS p
    WHERE a.id = p.id
    RETURNING a.id
)

SELECT
    set_config(
        'toolkit.apps_reset_to',
        (SELECT r.id FROM reset AS r ORDER BY r.id DESC LIMIT 1)::text,
        false
    ) AS reset_to
FROM reset;
