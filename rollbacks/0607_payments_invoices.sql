-- Undoes 0607_payments_invoices.
DROP TABLE lexoffice_sync_logs;

DROP TABLE invoices;

DROP TABLE payments;
