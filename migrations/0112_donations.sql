-- 0112_donations: donations received through Stripe; append-only.
-- Serves: 000 `billing_donations` (stripe_event_id unique) and its immutability.
-- Departures: amount is numeric(10, 2) in `currency` units, like
-- billing_transactions; currency is ISO-shaped.
CREATE TABLE donations (
    id uuid NOT NULL DEFAULT uuidv7(),
    stripe_event_id text NOT NULL,
    stripe_session_id text,
    stripe_payment_intent_id text,
    amount numeric(10, 2) NOT NULL,
    currency text NOT NULL DEFAULT 'USD',
    status text NOT NULL,
    user_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT donations_pkey PRIMARY KEY (id),
    CONSTRAINT donations_stripe_event_id_key UNIQUE (stripe_event_id),
    CONSTRAINT donations_amount_check CHECK (amount > 0),
    CONSTRAINT donations_currency_check CHECK (currency ~ '^[A-Z]{3}$')
);

CREATE TRIGGER donations_append_only
BEFORE UPDATE OR DELETE ON donations
FOR EACH ROW EXECUTE FUNCTION reject_row_change();

CREATE TRIGGER donations_no_truncate
BEFORE TRUNCATE ON donations
FOR EACH STATEMENT EXECUTE FUNCTION reject_row_change();
