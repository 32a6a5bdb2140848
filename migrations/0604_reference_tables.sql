-- 0604_reference_tables: VAT rates and product categories.
-- Serves: 002 "Seed & Fixtures" (reference data: product categories, VAT
--   rates). Roles are the user_role enum of phase 0.
CREATE TABLE vat_rates (
    id uuid NOT NULL DEFAULT uuidv7(),
    country_code text NOT NULL,
    name text NOT NULL,
    rate numeric(5, 2) NOT NULL,
    valid_from date NOT NULL,
    valid_to date,
    CONSTRAINT vat_rates_pkey PRIMARY KEY (id),
    CONSTRAINT vat_rates_country_name_from_key UNIQUE (country_code, name, valid_from),
    CONSTRAINT vat_rates_country_code_check CHECK (country_code ~ '^[A-Z]{2}$'),
    CONSTRAINT vat_rates_rate_check CHECK (rate BETWEEN 0 AND 100),
    CONSTRAINT vat_rates_validity_check CHECK (valid_to > valid_from)
);

CREATE TABLE product_categories (
    id uuid NOT NULL DEFAULT uuidv7(),
    slug text NOT NULL,
    name text NOT NULL,
    parent_id uuid,
    default_vat_rate_id uuid,
    sort_order integer NOT NULL DEFAULT 0,
    CONSTRAINT product_categories_pkey PRIMARY KEY (id),
    CONSTRAINT product_categories_slug_key UNIQUE (slug),
    CONSTRAINT product_categories_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES product_categories (id),
    CONSTRAINT product_categories_default_vat_rate_id_fkey FOREIGN KEY (default_vat_rate_id)
    REFERENCES vat_rates (id)
);
