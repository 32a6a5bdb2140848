-- 0111_template_downloads: each template download; append-only.
-- Serves: 000 `billing_template_downloads` and its immutability expectation.
-- Departures: `timestamp` is `occurred_at`; metadata_json is `metadata jsonb`.
CREATE TABLE template_downloads (
    id uuid NOT NULL DEFAULT uuidv7(),
    user_id uuid,
    anonymous_user_id text,
    template_id text NOT NULL,
    license_choice text,
    signature_policy text,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    metadata jsonb,
    CONSTRAINT template_downloads_pkey PRIMARY KEY (id),
    CONSTRAINT template_downloads_actor_check CHECK (user_id IS NOT NULL OR anonymous_user_id IS NOT NULL)
);

CREATE TRIGGER template_downloads_append_only
BEFORE UPDATE OR DELETE ON template_downloads
FOR EACH ROW EXECUTE FUNCTION reject_row_change();

CREATE TRIGGER template_downloads_no_truncate
BEFORE TRUNCATE ON template_downloads
FOR EACH STATEMENT EXECUTE FUNCTION reject_row_change();
