-- 0301_ai_analysis_sessions: AI analyses of a business, with streamed progress.
-- Serves: 004 phase 3 "Create AI analysis session tracking", "Enable real-time
--   analysis streaming" (streaming_data) and 004's ai_analysis_sessions table.
-- Departures from 004's SQL: uuid/timestamptz/jsonb; NOT NULL where 004 gives a
-- default; CHECKs on session_type, status and the 0-100 scores; foreign keys
-- come in phase 5 (NOT VALID, then validated).
CREATE TABLE ai_analysis_sessions (
    id uuid NOT NULL DEFAULT uuidv7(),
    user_id uuid NOT NULL,
    business_id uuid NOT NULL,
    session_type text NOT NULL,
    status text NOT NULL DEFAULT 'pending',
    progress_percentage smallint NOT NULL DEFAULT 0,
    streaming_data jsonb,
    results jsonb,
    confidence_score smallint,
    processing_time_ms integer,
    created_at timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    CONSTRAINT ai_analysis_sessions_pkey PRIMARY KEY (id),
    CONSTRAINT ai_analysis_sessions_session_type_check CHECK (
        session_type IN ('health_analysis', 'valuation', 'forecast')
    ),
    CONSTRAINT ai_analysis_sessions_status_check CHECK (
        status IN ('pending', 'streaming', 'completed', 'failed', 'canceled')
    ),
    CONSTRAINT ai_analysis_sessions_progress_check CHECK (progress_percentage BETWEEN 0 AND 100),
    CONSTRAINT ai_analysis_sessions_confidence_check CHECK (confidence_score BETWEEN 0 AND 100),
    CONSTRAINT ai_analysis_sessions_processing_time_check CHECK (processing_time_ms >= 0)
);
