-- Undoes 0609_support_gdpr.
DROP TABLE gdpr_requests;

DROP TABLE support_tickets;
