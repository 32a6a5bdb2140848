-- 0105_billing_transactions: money that moved, per user.
-- Serves: 004 billing_transactions ("Billing History").
-- Departures: uuid/timestamptz/jsonb; currency NOT NULL and ISO-shaped; no
-- foreign keys until phase 5.
CREATE TABLE billing_transactions (
    id uuid NOT NULL DEFAULT uuidv7(),
    user_id uuid NOT NULL,
    subscription_id uuid,
    stripe_payment_intent_id text,
    amount numeric(10, 2) NOT NULL,
    currency text NOT NULL DEFAULT 'USD',
    status text NOT NULL,
    transaction_type text NOT NULL,
    metadata jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT billing_transactions_pkey PRIMARY KEY (id),
    CONSTRAINT billing_transactions_currency_check CHECK (currency ~ '^[A-Z]{3}$')
);
