-- Undoes 0108_credit_ledger (its triggers go with the table).
DROP TABLE credit_ledger;
