-- Undoes 0706_manifest_versioning.
ALTER TABLE rooms DROP COLUMN app_manifest_version;

ALTER TABLE apps DROP COLUMN manifest_history;

ALTER TABLE apps DROP COLUMN manifest_version;
