-- Undoes 0608_carts.
DROP TABLE carts;
