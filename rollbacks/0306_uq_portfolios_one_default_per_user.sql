-- Undoes 0306_uq_portfolios_one_default_per_user.
DROP INDEX CONCURRENTLY IF EXISTS uq_portfolios_one_default_per_user;
