-- Undoes 0528_billing_audit_trail.
DROP TRIGGER credits_audit ON credits;

DROP TRIGGER billing_transactions_audit ON billing_transactions;

DROP TRIGGER user_subscriptions_audit ON user_subscriptions;

DROP FUNCTION audit_billing_change();
