-- 0607_payments_invoices: payments and invoices of an order, and lexoffice sync.
-- Serves: 002 ERD Payment (stripe_payment_intent_id UNIQUE), Invoice,
--   LexofficeSyncLog; indexing plan (payments: unique intent id, status).
-- Payments and invoices are accounting records: an order that has them cannot
-- be hard-deleted (RESTRICT).
CREATE TABLE payments (
    id uuid NOT NULL DEFAULT uuidv7(),
    order_id uuid NOT NULL,
    stripe_payment_intent_id text NOT NULL,
    amount numeric(12, 2) NOT NULL,
    currency currency_code NOT NULL,
    status text NOT NULL,
    paid_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT payments_pkey PRIMARY KEY (id),
    CONSTRAINT payments_stripe_payment_intent_id_key UNIQUE (stripe_payment_intent_id),
    CONSTRAINT payments_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE RESTRICT,
    CONSTRAINT payments_status_check CHECK (
        status IN ('requires_payment', 'processing', 'succeeded', 'failed', 'refunded')
    ),
    CONSTRAINT payments_amount_check CHECK (amount >= 0)
);

CREATE INDEX idx_payments_order_id ON payments (order_id);

CREATE INDEX idx_payments_status ON payments (status);

CREATE TABLE invoices (
    id uuid NOT NULL DEFAULT uuidv7(),
    order_id uuid NOT NULL,
    invoice_number text NOT NULL,
    status text NOT NULL DEFAULT 'draft',
    currency currency_code NOT NULL,
    total numeric(12, 2) NOT NULL,
    issued_at timestamptz,
    due_at timestamptz,
    pdf_path text,
    lexoffice_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT invoices_pkey PRIMARY KEY (id),
    CONSTRAINT invoices_invoice_number_key UNIQUE (invoice_number),
    CONSTRAINT invoices_lexoffice_id_key UNIQUE (lexoffice_id),
    CONSTRAINT invoices_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE RESTRICT,
    CONSTRAINT invoices_status_check CHECK (status IN ('draft', 'issued', 'paid', 'void'))
);

CREATE INDEX idx_invoices_order_id ON invoices (order_id);

CREATE TABLE lexoffice_sync_logs (
    id uuid NOT NULL DEFAULT uuidv7(),
    invoice_id uuid NOT NULL,
    direction text NOT NULL,
    status text NOT NULL,
    request jsonb,
    response jsonb,
    error text,
    synced_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT lexoffice_sync_logs_pkey PRIMARY KEY (id),
    CONSTRAINT lexoffice_sync_logs_invoice_id_fkey FOREIGN KEY (invoice_id)
    REFERENCES invoices (id) ON DELETE CASCADE,
    CONSTRAINT lexoffice_sync_logs_direction_check CHECK (direction IN ('push', 'pull')),
    CONSTRAINT lexoffice_sync_logs_status_check CHECK (status IN ('ok', 'failed'))
);

CREATE INDEX idx_lexoffice_sync_logs_invoice_synced ON lexoffice_sync_logs (invoice_id, synced_at DESC);
