-- 0710_idx_rooms_app_manifest_version: 003's index on rooms.appManifestVersion.
-- Built CONCURRENTLY: rooms holds data by now (the backfill ran).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_rooms_app_manifest_version
ON rooms (app_manifest_version);
