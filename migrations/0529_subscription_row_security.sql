-- 0529_subscription_row_security: row-level security on subscription data.
-- Serves: 004 "Access Controls" (row-level security for subscription data).
-- A session that sets app.current_user_id sees and writes only that user's
-- rows. Deliberate departure: a session that does not set it (billing jobs,
-- admin tools, the application before it is updated) still sees every row,
-- because switching strict RLS on under a live application that does not yet
-- set the variable would hide every row from it: an outage, not security.
-- Tightening to strict is a later migration once every caller sets it. The
-- table owner is exempt, as PostgreSQL makes it (no FORCE).

ALTER TABLE user_subscriptions ENABLE ROW LEVEL SECURITY;

CREATE POLICY user_subscriptions_own_rows ON user_subscriptions
USING (
    coalesce(current_setting('app.current_user_id', true), '') = ''
    OR user_id = current_setting('app.current_user_id', true)::uuid
);

ALTER TABLE billing_transactions ENABLE ROW LEVEL SECURITY;

CREATE POLICY billing_transactions_own_rows ON billing_transactions
USING (
    coalesce(current_setting('app.current_user_id', true), '') = ''
    OR user_id = current_setting('app.current_user_id', true)::uuid
);

ALTER TABLE usage_metrics ENABLE ROW LEVEL SECURITY;

CREATE POLICY usage_metrics_own_rows ON usage_metrics
USING (
    coalesce(current_setting('app.current_user_id', true), '') = ''
    OR user_id = current_setting('app.current_user_id', true)::uuid
);

ALTER TABLE credits ENABLE ROW LEVEL SECURITY;

CREATE POLICY credits_own_rows ON credits
USING (
    coalesce(current_setting('app.current_user_id', true), '') = ''
    OR user_id = current_setting('app.current_user_id', true)::uuid
);

ALTER TABLE credit_ledger ENABLE ROW LEVEL SECURITY;

CREATE POLICY credit_ledger_own_rows ON credit_ledger
USING (
    coalesce(current_setting('app.current_user_id', true), '') = ''
    OR user_id = current_setting('app.current_user_id', true)::uuid
);
