-- Undoes 0007_businesses.
DROP TABLE businesses;
