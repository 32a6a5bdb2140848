-- 0512_fk_portfolio_businesses: foreign keys of portfolio_businesses, added NOT VALID.
-- Serves: 004 phase 1 "without foreign key constraints" and phase 5 finalization:
-- the keys arrive now, NOT VALID, so adding them takes only a brief lock and
-- scans nothing; step 0525 validates them without blocking writes.
-- Keys:
--   portfolio_businesses_portfolio_id_fkey (004: ON DELETE CASCADE)
--   portfolio_businesses_business_id_fkey (004: ON DELETE CASCADE).
ALTER TABLE portfolio_businesses
ADD CONSTRAINT portfolio_businesses_portfolio_id_fkey
FOREIGN KEY (portfolio_id) REFERENCES portfolios (id) ON DELETE CASCADE NOT VALID;

ALTER TABLE portfolio_businesses
ADD CONSTRAINT portfolio_businesses_business_id_fkey
FOREIGN KEY (business_id) REFERENCES businesses (id) ON DELETE CASCADE NOT VALID;
