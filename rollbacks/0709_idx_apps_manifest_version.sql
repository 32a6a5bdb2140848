-- Undoes 0709_idx_apps_manifest_version.
DROP INDEX CONCURRENTLY IF EXISTS idx_apps_manifest_version;
