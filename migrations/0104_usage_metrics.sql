-- 0104_usage_metrics: usage counted per user, metric and day.
-- Serves: 004 usage_metrics ("Add usage tracking infrastructure").
-- Departures: 004's `date` column is `usage_date` (a column named after a type
-- reads badly in every query); count must be positive; no foreign keys until phase 5.
CREATE TABLE usage_metrics (
    id uuid NOT NULL DEFAULT uuidv7(),
    user_id uuid NOT NULL,
    subscription_id uuid,
    metric_type text NOT NULL,
    count integer NOT NULL DEFAULT 1,
    metadata jsonb,
    usage_date date NOT NULL DEFAULT current_date,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT usage_metrics_pkey PRIMARY KEY (id),
    CONSTRAINT usage_metrics_count_check CHECK (count > 0)
);
