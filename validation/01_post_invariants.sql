-- Phase 1's promises from the seeds, as pgTAP tests (https://pgtap.org): each line a test, each test a
-- check. They run where the database has pgTAP (CREATE EXTENSION pgtap) and are skipped, and said, where
-- it has not (make demo's PostgreSQL 18), in one transaction that is rolled back: what they write goes.
-- toolkit:pgtap if-installed
SELECT plan(8);

SELECT col_is_pk('credits', 'user_id', 'credits holds one balance per user (001 credits)');

SELECT col_is_unique(
    'credit_ledger', ARRAY['user_id', 'turn_id'],
    'a retried turn cannot debit twice: turn_id is the idempotency key per user (001 credit_ledger)'
);

SELECT results_eq(
    'SELECT DISTINCT tier FROM subscription_plans WHERE is_active ORDER BY tier',
    $$VALUES ('free'), ('power'), ('pro'), ('starter')$$,
    'every tier has an active plan (004 subscription_plans)'
);

SELECT lives_ok(
    $$INSERT INTO credit_ledger (user_id, turn_id, delta, balance_after, reason)
      VALUES ('00000000-0000-7000-8000-000000000001', 'pgtap-turn', 5, 5, 'pgtap')$$,
    'a credit change is a new ledger row (001 credit_ledger)'
);

SELECT throws_ok(
    $$INSERT INTO credit_ledger (user_id, turn_id, delta, balance_after, reason)
      VALUES ('00000000-0000-7000-8000-000000000001', 'pgtap-turn', 5, 10, 'pgtap')$$,
    '23505', NULL,
    'the same turn a second time is refused (001: idempotency key)'
);

SELECT throws_ok(
    'UPDATE credit_ledger SET delta = 0', '42501', NULL,
    'a ledger row is never rewritten (000 immutability)'
);

SELECT throws_ok(
    'DELETE FROM credit_ledger', '42501', NULL,
    'a ledger row is never removed (000 immutability)'
);

SELECT throws_ok(
    'TRUNCATE credit_ledger', '42501', NULL,
    'the ledger is never emptied (000 immutability)'
);

SELECT finish();
