-- 0510_fk_ai_analysis_sessions: foreign keys of ai_analysis_sessions, added NOT VALID.
-- Serves: 004 phase 1 "without foreign key constraints" and phase 5 finalization:
-- the keys arrive now, NOT VALID, so adding them takes only a brief lock and
-- scans nothing; step 0523 validates them without blocking writes.
-- Keys: ai_analysis_sessions_user_id_fkey (004); ai_analysis_sessions_business_id_fkey (004).
ALTER TABLE ai_analysis_sessions
ADD CONSTRAINT ai_analysis_sessions_user_id_fkey
FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;

ALTER TABLE ai_analysis_sessions
ADD CONSTRAINT ai_analysis_sessions_business_id_fkey
FOREIGN KEY (business_id) REFERENCES businesses (id) NOT VALID;
