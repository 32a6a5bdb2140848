-- Undoes 0711_idx_rooms_app_id_manifest_version.
DROP INDEX CONCURRENTLY IF EXISTS idx_rooms_app_id_manifest_version;
