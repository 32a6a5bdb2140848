-- Undoes 0303_portfolio_businesses.
DROP TABLE portfolio_businesses;
