-- Undoes 0112_donations.
DROP TABLE donations;
