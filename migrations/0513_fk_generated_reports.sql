-- 0513_fk_generated_reports: foreign keys of generated_reports, added NOT VALID.
-- Serves: 004 phase 1 "without foreign key constraints" and phase 5 finalization:
-- the keys arrive now, NOT VALID, so adding them takes only a brief lock and
-- scans nothing; step 0526 validates them without blocking writes.
-- Keys:
--   generated_reports_user_id_fkey (004)
--   generated_reports_business_id_fkey (004)
--   generated_reports_portfolio_id_fkey (004).
ALTER TABLE generated_reports
ADD CONSTRAINT generated_reports_user_id_fkey
FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;

ALTER TABLE generated_reports
ADD CONSTRAINT generated_reports_business_id_fkey
FOREIGN KEY (business_id) REFERENCES businesses (id) NOT VALID;

ALTER TABLE generated_reports
ADD CONSTRAINT generated_reports_portfolio_id_fkey
FOREIGN KEY (portfolio_id) REFERENCES portfolios (id) NOT VALID;
