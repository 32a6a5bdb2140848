-- Checks after phase 6 (commerce core).

-- check: commerce_tables_present
SELECT t.name AS missing_table
FROM (
    VALUES ('customer_profiles'), ('notifications'), ('vat_rates'), ('product_categories'),
    ('products'), ('product_variants'), ('product_option_groups'), ('product_options'),
    ('orders'), ('order_items'), ('fulfillment_tasks'), ('order_events'), ('payments'),
    ('invoices'), ('lexoffice_sync_logs'), ('carts'), ('support_tickets'), ('gdpr_requests'),
    ('integration_credentials'), ('instagram_account_snapshots'), ('service_campaigns'),
    ('campaign_activities')
) AS t (name)
WHERE to_regclass(t.name) IS NULL;

-- check: natural_keys_unique
-- 002 naming standards: unique natural keys.
SELECT k.name AS missing_unique_constraint
FROM (
    VALUES ('orders_order_number_key'), ('products_slug_key'),
    ('payments_stripe_payment_intent_id_key'), ('invoices_invoice_number_key')
) AS k (name)
WHERE NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conname = k.name AND c.contype = 'u');

-- check: reference_data_present
SELECT NOT EXISTS (
    SELECT 1 FROM vat_rates
    WHERE country_code = 'DE' AND name = 'standard' AND valid_to IS NULL
) OR (SELECT count(*) FROM product_categories) < 4 AS reference_data_missing;

-- check: plan_product_link_valid
SELECT count(*) AS problems
FROM pg_constraint
WHERE conname = 'subscription_plans_product_id_fkey' AND NOT convalidated;

-- check: phase_6_indexes_valid
SELECT i.name AS missing_or_invalid_index
FROM (
    VALUES ('uq_subscription_plans_stripe_price_id'), ('idx_orders_user_id'), ('idx_orders_status'),
    ('idx_orders_created_at'), ('idx_payments_status'), ('idx_instagram_snapshots_profile_recorded')
) AS i (name)
WHERE NOT EXISTS (
    SELECT 1
    FROM pg_index AS x
    INNER JOIN pg_class AS c ON x.indexrelid = c.oid
    WHERE c.relname = i.name AND c.relnamespace = current_schema()::regnamespace AND x.indisvalid
);
