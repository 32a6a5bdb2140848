-- Undoes 0602_customer_profiles.
DROP TABLE customer_profiles;
