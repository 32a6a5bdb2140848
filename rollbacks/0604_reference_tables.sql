-- Undoes 0604_reference_tables.
DROP TABLE product_categories;

DROP TABLE vat_rates;
