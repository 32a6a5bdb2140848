-- 0605_products: the catalogue, with variants and configurable options.
-- Serves: 002 migration 03 (products, option groups) and 05 (configurable
--   product structures: option group types, add-ons, custom fields); ERD
--   Product, ProductVariant, ProductOptionGroup, ProductOption; naming standards
--   (products.slug unique; soft delete on products and options).
CREATE TABLE products (
    id uuid NOT NULL DEFAULT uuidv7(),
    category_id uuid,
    slug text NOT NULL,
    name text NOT NULL,
    description text,
    product_type text NOT NULL,
    base_price numeric(12, 2) NOT NULL,
    currency currency_code NOT NULL DEFAULT 'EUR',
    vat_rate_id uuid,
    is_active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    CONSTRAINT products_pkey PRIMARY KEY (id),
    CONSTRAINT products_slug_key UNIQUE (slug),
    CONSTRAINT products_category_id_fkey FOREIGN KEY (category_id) REFERENCES product_categories (id),
    CONSTRAINT products_vat_rate_id_fkey FOREIGN KEY (vat_rate_id) REFERENCES vat_rates (id),
    CONSTRAINT products_product_type_check CHECK (
        product_type IN ('physical', 'digital', 'service', 'subscription')
    ),
    CONSTRAINT products_base_price_check CHECK (base_price >= 0)
);

CREATE INDEX idx_products_category_id ON products (category_id);

CREATE TABLE product_variants (
    id uuid NOT NULL DEFAULT uuidv7(),
    product_id uuid NOT NULL,
    sku text NOT NULL,
    name text NOT NULL,
    price numeric(12, 2) NOT NULL,
    attributes jsonb NOT NULL DEFAULT '{}'::jsonb,
    is_active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    CONSTRAINT product_variants_pkey PRIMARY KEY (id),
    CONSTRAINT product_variants_sku_key UNIQUE (sku),
    CONSTRAINT product_variants_product_id_fkey FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE,
    CONSTRAINT product_variants_price_check CHECK (price >= 0)
);

CREATE INDEX idx_product_variants_product_id ON product_variants (product_id);

CREATE TABLE product_option_groups (
    id uuid NOT NULL DEFAULT uuidv7(),
    product_id uuid NOT NULL,
    name text NOT NULL,
    group_type text NOT NULL,
    is_required boolean NOT NULL DEFAULT false,
    sort_order integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    CONSTRAINT product_option_groups_pkey PRIMARY KEY (id),
    CONSTRAINT product_option_groups_product_id_fkey FOREIGN KEY (product_id)
    REFERENCES products (id) ON DELETE CASCADE,
    CONSTRAINT product_option_groups_group_type_check CHECK (
        group_type IN ('single_choice', 'multiple_choice', 'add_on', 'custom_field')
    )
);

CREATE INDEX idx_product_option_groups_product_id ON product_option_groups (product_id);

CREATE TABLE product_options (
    id uuid NOT NULL DEFAULT uuidv7(),
    group_id uuid NOT NULL,
    name text NOT NULL,
    price_delta numeric(12, 2) NOT NULL DEFAULT 0,
    sort_order integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    CONSTRAINT product_options_pkey PRIMARY KEY (id),
    CONSTRAINT product_options_group_id_fkey FOREIGN KEY (group_id)
    REFERENCES product_option_groups (id) ON DELETE CASCADE
);

CREATE INDEX idx_product_options_group_id ON product_options (group_id);
