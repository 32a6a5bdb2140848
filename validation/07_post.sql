-- Checks after phase 7 (event platform).

-- check: event_tables_present
SELECT t.name AS missing_table
FROM (VALUES ('apps'), ('rooms'), ('participants'), ('prizes'), ('winners')) AS t (name)
WHERE to_regclass(t.name) IS NULL;

-- check: apps_without_manifest_version
-- 003 "Validation After Migration": every app has a version ...
SELECT count(*) AS apps_without_version
FROM apps
WHERE coalesce(manifest_version, '') = '';

-- check: apps_version_differs_from_manifest
-- ... taken from manifest.meta.version where the manifest has one ...
SELECT count(*) AS apps_not_backfilled
FROM apps
WHERE manifest -> 'meta' ->> 'version' IS NOT NULL AND manifest_version <> manifest -> 'meta' ->> 'version';

-- check: rooms_without_manifest_version
-- ... every room is locked to a version ...
SELECT count(*) AS rooms_without_version
FROM rooms
WHERE coalesce(app_manifest_version, '') = '';

-- check: apps_with_history
-- ... and apps' manifest history starts empty.
SELECT count(*) AS apps_with_unexpected_history
FROM apps
WHERE jsonb_typeof(manifest_history) <> 'array';

-- check: delete_rules_as_designed
-- 003's ON DELETE table, RESTRICT rows included (r = RESTRICT, c = CASCADE).
SELECT e.name AS wrong_delete_rule
FROM (
    VALUES ('rooms_created_by_fkey', 'r'), ('rooms_app_id_fkey', 'r'), ('winners_prize_id_fkey', 'r'),
    ('participants_user_id_fkey', 'c'), ('participants_room_id_fkey', 'c'), ('prizes_room_id_fkey', 'c'),
    ('winners_room_id_fkey', 'c'), ('winners_participant_id_fkey', 'c'), ('sessions_user_id_fkey', 'c')
) AS e (name, rule)
WHERE NOT EXISTS (
    SELECT 1 FROM pg_constraint AS c
    WHERE c.conname = e.name AND c.contype = 'f' AND c.confdeltype::text = e.rule
);

-- check: phase_7_indexes_valid
SELECT i.name AS missing_or_invalid_index
FROM (
    VALUES ('idx_rooms_status_public_app'), ('idx_participants_room_role'), ('idx_winners_room_prize'),
    ('idx_apps_manifest_version'), ('idx_rooms_app_manifest_version'), ('idx_rooms_app_id_manifest_version')
) AS i (name)
WHERE NOT EXISTS (
    SELECT 1
    FROM pg_index AS x
    INNER JOIN pg_class AS c ON x.indexrelid = c.oid
    WHERE c.relname = i.name AND c.relnamespace = current_schema()::regnamespace AND x.indisvalid
);
