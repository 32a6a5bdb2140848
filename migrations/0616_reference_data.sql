-- 0616_reference_data: VAT rates and product categories the shop starts with.
-- Serves: 002 "Seed & Fixtures" (reference data: roles, product categories,
--   VAT rates). Roles are phase 0's user_role enum, so none are inserted here.
INSERT INTO vat_rates (country_code, name, rate, valid_from)
VALUES
('DE', 'standard', 19.00, DATE '2021-01-01'),
('DE', 'reduced', 7.00, DATE '2021-01-01'),
('DE', 'zero', 0.00, DATE '2023-01-01'),
('AT', 'standard', 20.00, DATE '2016-01-01'),
('AT', 'reduced', 10.00, DATE '2016-01-01');

INSERT INTO product_categories (slug, name, sort_order, default_vat_rate_id)
SELECT
    c.slug,
    c.name,
    c.sort_order,
    v.id AS default_vat_rate_id
FROM (
    VALUES
    ('subscriptions', 'Subscriptions', 1),
    ('reports', 'Reports', 2),
    ('templates', 'Templates', 3),
    ('services', 'Services', 4)
) AS c (slug, name, sort_order)
INNER JOIN vat_rates AS v ON v.country_code = 'DE' AND v.name = 'standard' AND v.valid_from = DATE '2021-01-01';
