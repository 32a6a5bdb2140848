-- 0711_idx_rooms_app_id_manifest_version: 003's index on rooms (appId, appManifestVersion).
-- Built CONCURRENTLY: rooms holds data by now (the backfill ran).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_rooms_app_id_manifest_version
ON rooms (app_id, app_manifest_version);
