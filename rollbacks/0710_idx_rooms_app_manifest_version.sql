-- Undoes 0710_idx_rooms_app_manifest_version.
DROP INDEX CONCURRENTLY IF EXISTS idx_rooms_app_manifest_version;
