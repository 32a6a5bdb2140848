-- Undoes 0525_validate_fk_portfolio_businesses: the keys go back to NOT VALID, exactly as 0512 left them
-- (PostgreSQL cannot un-validate a constraint in place).
ALTER TABLE portfolio_businesses DROP CONSTRAINT portfolio_businesses_portfolio_id_fkey;

ALTER TABLE portfolio_businesses
ADD CONSTRAINT portfolio_businesses_portfolio_id_fkey
FOREIGN KEY (portfolio_id) REFERENCES portfolios (id) ON DELETE CASCADE NOT VALID;

ALTER TABLE portfolio_businesses DROP CONSTRAINT portfolio_businesses_business_id_fkey;

ALTER TABLE portfolio_businesses
ADD CONSTRAINT portfolio_businesses_business_id_fkey
FOREIGN KEY (business_id) REFERENCES businesses (id) ON DELETE CASCADE NOT VALID;
