-- Undoes 0516_validate_fk_billing_transactions: the keys go back to NOT VALID, exactly as 0503 left them
-- (PostgreSQL cannot un-validate a constraint in place).
ALTER TABLE billing_transactions DROP CONSTRAINT billing_transactions_user_id_fkey;

ALTER TABLE billing_transactions
ADD CONSTRAINT billing_transactions_user_id_fkey
FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;

ALTER TABLE billing_transactions DROP CONSTRAINT billing_transactions_subscription_id_fkey;

ALTER TABLE billing_transactions
ADD CONSTRAINT billing_transactions_subscription_id_fkey
FOREIGN KEY (subscription_id) REFERENCES user_subscriptions (id) NOT VALID;
