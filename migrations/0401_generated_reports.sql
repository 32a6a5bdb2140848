-- 0401_generated_reports: professional reports generated for a user.
-- Serves: 004 phase 4 "Create report generation tracking tables", "Add file
--   storage metadata" (file_path, file_size, file_mime_type, file_checksum),
--   "Implement branding customization storage" (branding_config), expiry.
-- Departures from 004's SQL: uuid/timestamptz/jsonb; file_size is bigint (a
-- report can pass 2 GiB); file_mime_type and file_checksum added as storage
-- metadata; expiry must follow creation. Foreign keys come in phase 5.
CREATE TABLE generated_reports (
    id uuid NOT NULL DEFAULT uuidv7(),
    user_id uuid NOT NULL,
    business_id uuid,
    portfolio_id uuid,
    report_type text NOT NULL,
    template_used text,
    branding_config jsonb,
    file_path text,
    file_size bigint,
    file_mime_type text,
    file_checksum text,
    generation_time_ms integer,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    CONSTRAINT generated_reports_pkey PRIMARY KEY (id),
    CONSTRAINT generated_reports_file_size_check CHECK (file_size >= 0),
    CONSTRAINT generated_reports_generation_time_check CHECK (generation_time_ms >= 0),
    CONSTRAINT generated_reports_expiry_check CHECK (expires_at > created_at)
);
