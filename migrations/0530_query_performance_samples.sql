-- 0530_query_performance_samples: timings of key queries over time.
-- Serves: 004 phase 5 "Add performance monitoring tables" and "Performance
--   Monitoring" (subscription lookup speed, key tables' queries).
-- Buffers are recorded beside time: they do not depend on machine load.
CREATE TABLE query_performance_samples (
    id uuid NOT NULL DEFAULT uuidv7(),
    query_name text NOT NULL,
    measured_at timestamptz NOT NULL DEFAULT now(),
    duration_ms numeric(12, 3) NOT NULL,
    shared_buffers_hit bigint,
    shared_buffers_read bigint,
    rows_returned bigint,
    context text,
    CONSTRAINT query_performance_samples_pkey PRIMARY KEY (id),
    CONSTRAINT query_performance_samples_duration_check CHECK (duration_ms >= 0)
);

CREATE INDEX idx_query_performance_samples_name_measured
ON query_performance_samples (query_name, measured_at DESC);
