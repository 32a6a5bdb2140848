-- Undoes 0302_portfolios.
DROP TABLE portfolios;
