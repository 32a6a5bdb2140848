-- Checks before phase 6 (commerce core).

-- check: commerce_tables_absent
SELECT t.name AS existing_table
FROM (
    VALUES ('customer_profiles'), ('notifications'), ('products'), ('orders'),
    ('payments'), ('invoices'), ('carts'), ('support_tickets'), ('gdpr_requests')
) AS t (name)
WHERE to_regclass(t.name) IS NOT NULL;

-- check: subscription_plans_not_yet_linked
SELECT count(*) AS already_linked_columns
FROM information_schema.columns
WHERE
    table_schema = current_schema() AND table_name = 'subscription_plans'
    AND column_name IN ('product_id', 'stripe_price_id');
