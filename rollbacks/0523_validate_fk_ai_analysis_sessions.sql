-- Undoes 0523_validate_fk_ai_analysis_sessions: the keys go back to NOT VALID, exactly as 0510 left them
-- (PostgreSQL cannot un-validate a constraint in place).
ALTER TABLE ai_analysis_sessions DROP CONSTRAINT ai_analysis_sessions_user_id_fkey;

ALTER TABLE ai_analysis_sessions
ADD CONSTRAINT ai_analysis_sessions_user_id_fkey
FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;

ALTER TABLE ai_analysis_sessions DROP CONSTRAINT ai_analysis_sessions_business_id_fkey;

ALTER TABLE ai_analysis_sessions
ADD CONSTRAINT ai_analysis_sessions_business_id_fkey
FOREIGN KEY (business_id) REFERENCES businesses (id) NOT VALID;
