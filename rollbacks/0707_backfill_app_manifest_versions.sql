-- Undoes 0707_backfill_app_manifest_versions: versions taken from the manifest
-- go back to the column default. (0706's rollback then drops the column.)
-- toolkit:batch
UPDATE apps
SET manifest_version = '1.0.0'
WHERE id IN (
    SELECT id FROM apps
    WHERE manifest_version <> '1.0.0' AND manifest_version = manifest -> 'meta' ->> 'version'
    ORDER BY id
    LIMIT current_setting('toolkit.batch_size')::integer
);
