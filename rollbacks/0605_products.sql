-- Undoes 0605_products.
DROP TABLE product_options;

DROP TABLE product_option_groups;

DROP TABLE product_variants;

DROP TABLE products;
