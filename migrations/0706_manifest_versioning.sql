-- 0706_manifest_versioning: version columns for app manifests and the room lock.
-- Serves: 003 "Manifest Versioning Migration" (manifestVersion,
--   manifestHistory on apps; appManifestVersion on rooms).
-- Constant defaults: since PostgreSQL 11 these are catalog-only changes, no
-- table rewrite. 0707 and 0708 backfill real versions in batches.
ALTER TABLE apps ADD COLUMN manifest_version text NOT NULL DEFAULT '1.0.0';

ALTER TABLE apps ADD COLUMN manifest_history jsonb NOT NULL DEFAULT '[]'::jsonb;

ALTER TABLE rooms ADD COLUMN app_manifest_version text NOT NULL DEFAULT '1.0.0';
