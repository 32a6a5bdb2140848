-- Undoes 0616_reference_data.
-- Only the rows 0616 inserted.
DELETE FROM product_categories
WHERE slug IN ('subscriptions', 'reports', 'templates', 'services');

DELETE FROM vat_rates
WHERE (country_code, name, valid_from) IN (
    ('DE', 'standard', DATE '2021-01-01'),
    ('DE', 'reduced', DATE '2021-01-01'),
    ('DE', 'zero', DATE '2023-01-01'),
    ('AT', 'standard', DATE '2016-01-01'),
    ('AT', 'reduced', DATE '2016-01-01')
);
