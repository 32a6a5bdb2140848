-- 0707_backfill_app_manifest_versions: each app's version from its manifest.
-- Serves: 003 "Data Migration Script" (version = manifest.meta.version, else
--   1.0.0; history starts empty), as set-based batches instead of 003's
--   row-by-row loop. A row once done no longer matches, so a rerun resumes.
-- toolkit:batch
UPDATE apps
SET manifest_version = manifest -> 'meta' ->> 'version'
WHERE id IN (
    SELECT id FROM apps
    WHERE
        manifest -> 'meta' ->> 'version' IS NOT NULL
        AND manifest_version IS DISTINCT FROM manifest -> 'meta' ->> 'version'
    ORDER BY id
    LIMIT current_setting('toolkit.batch_size')::integer
);
