-- 0525_validate_fk_portfolio_businesses: validate the foreign keys 0512 added NOT VALID.
-- Serves: 004 phase 5 "Final data consistency checks". VALIDATE CONSTRAINT
-- takes SHARE UPDATE EXCLUSIVE on portfolio_businesses: reads and writes go on while it scans.
-- Phase 5's pre-checks refuse to start when a row would fail it.
ALTER TABLE portfolio_businesses VALIDATE CONSTRAINT portfolio_businesses_portfolio_id_fkey;

ALTER TABLE portfolio_businesses VALIDATE CONSTRAINT portfolio_businesses_business_id_fkey;
