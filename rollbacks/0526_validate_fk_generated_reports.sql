-- Undoes 0526_validate_fk_generated_reports: the keys go back to NOT VALID, exactly as 0513 left them
-- (PostgreSQL cannot un-validate a constraint in place).
ALTER TABLE generated_reports DROP CONSTRAINT generated_reports_user_id_fkey;

ALTER TABLE generated_reports
ADD CONSTRAINT generated_reports_user_id_fkey
FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;

ALTER TABLE generated_reports DROP CONSTRAINT generated_reports_business_id_fkey;

ALTER TABLE generated_reports
ADD CONSTRAINT generated_reports_business_id_fkey
FOREIGN KEY (business_id) REFERENCES businesses (id) NOT VALID;

ALTER TABLE generated_reports DROP CONSTRAINT generated_reports_portfolio_id_fkey;

ALTER TABLE generated_reports
ADD CONSTRAINT generated_reports_portfolio_id_fkey
FOREIGN KEY (portfolio_id) REFERENCES portfolios (id) NOT VALID;
