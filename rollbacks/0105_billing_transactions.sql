-- Undoes 0105_billing_transactions.
DROP TABLE billing_transactions;
