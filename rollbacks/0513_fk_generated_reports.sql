-- Undoes 0513_fk_generated_reports.
ALTER TABLE generated_reports DROP CONSTRAINT generated_reports_user_id_fkey;

ALTER TABLE generated_reports DROP CONSTRAINT generated_reports_business_id_fkey;

ALTER TABLE generated_reports DROP CONSTRAINT generated_reports_portfolio_id_fkey;
