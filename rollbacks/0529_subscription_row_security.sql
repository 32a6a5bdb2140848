-- Undoes 0529_subscription_row_security.

DROP POLICY credit_ledger_own_rows ON credit_ledger;

ALTER TABLE credit_ledger DISABLE ROW LEVEL SECURITY;

DROP POLICY credits_own_rows ON credits;

ALTER TABLE credits DISABLE ROW LEVEL SECURITY;

DROP POLICY usage_metrics_own_rows ON usage_metrics;

ALTER TABLE usage_metrics DISABLE ROW LEVEL SECURITY;

DROP POLICY billing_transactions_own_rows ON billing_transactions;

ALTER TABLE billing_transactions DISABLE ROW LEVEL SECURITY;

DROP POLICY user_subscriptions_own_rows ON user_subscriptions;

ALTER TABLE user_subscriptions DISABLE ROW LEVEL SECURITY;
