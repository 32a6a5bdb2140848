-- Checks before phase 4 (professional reporting).

-- check: reporting_table_absent
SELECT to_regclass('generated_reports') IS NOT NULL AS already_exists;

-- check: portfolios_present
-- Reports may cover a portfolio: phase 3 must be applied.
SELECT to_regclass('portfolios') IS NULL AS portfolios_missing;
