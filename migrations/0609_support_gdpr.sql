-- 0609_support_gdpr: support tickets and GDPR requests.
-- Serves: 002 ERD SupportTicket (user_id FK), GDPRRequest (user_id FK);
--   migration log "feature workstreams (e.g. support)".
-- 002 marks full-text search on support tickets as future work: not built here.
CREATE TABLE support_tickets (
    id uuid NOT NULL DEFAULT uuidv7(),
    user_id uuid NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    status text NOT NULL DEFAULT 'open',
    priority text NOT NULL DEFAULT 'normal',
    assigned_to uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    closed_at timestamptz,
    CONSTRAINT support_tickets_pkey PRIMARY KEY (id),
    CONSTRAINT support_tickets_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT support_tickets_assigned_to_fkey FOREIGN KEY (assigned_to) REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT support_tickets_status_check CHECK (status IN ('open', 'pending', 'resolved', 'closed')),
    CONSTRAINT support_tickets_priority_check CHECK (priority IN ('low', 'normal', 'high', 'urgent'))
);

CREATE INDEX idx_support_tickets_user_id ON support_tickets (user_id);

CREATE INDEX idx_support_tickets_open ON support_tickets (status, created_at) WHERE status <> 'closed';

-- A GDPR request outlives the user it erased: user_id becomes NULL, the
-- request stays as evidence that it was honoured.
CREATE TABLE gdpr_requests (
    id uuid NOT NULL DEFAULT uuidv7(),
    user_id uuid,
    request_type text NOT NULL,
    status text NOT NULL DEFAULT 'received',
    requested_at timestamptz NOT NULL DEFAULT now(),
    due_at timestamptz NOT NULL DEFAULT now() + interval '30 days',
    completed_at timestamptz,
    notes text,
    CONSTRAINT gdpr_requests_pkey PRIMARY KEY (id),
    CONSTRAINT gdpr_requests_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT gdpr_requests_request_type_check CHECK (
        request_type IN ('access', 'export', 'rectification', 'erasure')
    ),
    CONSTRAINT gdpr_requests_status_check CHECK (status IN ('received', 'in_progress', 'completed', 'rejected'))
);

CREATE INDEX idx_gdpr_requests_user_id ON gdpr_requests (user_id);

CREATE INDEX idx_gdpr_requests_open_due ON gdpr_requests (due_at) WHERE completed_at IS NULL;
