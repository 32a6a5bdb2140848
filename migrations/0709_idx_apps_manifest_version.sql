-- 0709_idx_apps_manifest_version: 003's index on apps.manifestVersion.
-- Built CONCURRENTLY: apps holds data by now (the backfill ran).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_apps_manifest_version
ON apps (manifest_version);
