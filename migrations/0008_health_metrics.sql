-- 0008_health_metrics: health scores recorded for a business over time.
-- Serves: 004 "Current Database Analysis" (health metrics, health scoring).
CREATE TABLE health_metrics (
    id uuid NOT NULL DEFAULT uuidv7(),
    business_id uuid NOT NULL,
    metric_type text NOT NULL,
    value numeric(14, 4) NOT NULL,
    health_score smallint,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT health_metrics_pkey PRIMARY KEY (id),
    CONSTRAINT health_metrics_business_id_fkey FOREIGN KEY (business_id)
    REFERENCES businesses (id) ON DELETE CASCADE,
    CONSTRAINT health_metrics_health_score_check CHECK (health_score BETWEEN 0 AND 100)
);

CREATE INDEX idx_health_metrics_business_recorded ON health_metrics (business_id, recorded_at DESC);
