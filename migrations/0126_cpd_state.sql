-- 0126_cpd_state: each user's CPD (continuing professional development) state,
-- one document per user, replaced as the user works.
-- Serves: 000 `cpd_state` (pk user_id; state_json, updated_at) and its backfill
--   step "CPD state and audit log" (toolkit import json-store).
-- Departures: phases.md maps no phase to cpd_state; it comes here, with 000's
-- other tables. `state_json` is `state jsonb`. Not append-only: 000 lists CPD
-- state apart from its immutable records (the CPD audit log is `audit_logs`).
-- The key to users arrives in phase 5 (0531, NOT VALID; 0532 validates), as
-- every phase-1 table's does (004: no foreign keys in phase 1).
CREATE TABLE cpd_state (
    user_id uuid NOT NULL,
    state jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT cpd_state_pkey PRIMARY KEY (user_id),
    CONSTRAINT cpd_state_state_object_check CHECK (jsonb_typeof(state) = 'object')
);
