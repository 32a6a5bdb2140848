-- Undoes 0708_backfill_room_manifest_versions: rooms go back to the default.
-- Keyset as in 0707 (session setting toolkit.rooms_reset_to).
-- toolkit:batch
WITH after_last AS (
    SELECT r.id FROM rooms AS r
    WHERE
        r.id > coalesce(
            nullif(current_setting('toolkit.rooms_reset_to', true), ''),
            '00000000-0000-0000-0000-000000000000'
        )::uuid
        AND r.app_manifest_version <> '1.0.0'
    ORDER BY r.id
    LIMIT current_setting('toolkit.batch_size')::integer
),

pending AS (
    SELECT l.id FROM after_last AS l
    UNION ALL
    (
        SELECT r.id FROM rooms AS r
        WHERE NOT EXISTS (SELECT 1 FROM after_last) AND r.app_manifest_version <> '1.0.0'
        ORDER BY r.id
        LIMIT current_setting('toolkit.batch_size')::integer
    )
),

reset AS (
    UPDATE rooms AS r
    SET app_manifest_version = '1.0.0'
    FROM pending AS p
    WHERE r.id = p.id
    RETURNING r.id
)

SELECT
    set_config(
        'toolkit.rooms_reset_to',
        (SELECT x.id FROM reset AS x ORDER BY x.id DESC LIMIT 1)::text,
        false
    ) AS reset_to
FROM reset;
