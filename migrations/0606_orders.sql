-- 0606_orders: orders, their items and the fulfilment of each item.
-- Serves: 002 migrations 03-04 and ERD Order, OrderItem (product_id FK
--   optional), FulfillmentTask; naming standards (orders.order_number unique);
--   indexing plan (orders: user_id, status, created_at).
-- A user with orders cannot be hard-deleted (RESTRICT): orders are accounting
-- records; users are soft-deleted.
CREATE TABLE orders (
    id uuid NOT NULL DEFAULT uuidv7(),
    order_number text NOT NULL,
    user_id uuid NOT NULL,
    customer_profile_id uuid,
    status text NOT NULL DEFAULT 'pending',
    currency currency_code NOT NULL DEFAULT 'EUR',
    subtotal numeric(12, 2) NOT NULL DEFAULT 0,
    tax_total numeric(12, 2) NOT NULL DEFAULT 0,
    total numeric(12, 2) NOT NULL DEFAULT 0,
    placed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT orders_pkey PRIMARY KEY (id),
    CONSTRAINT orders_order_number_key UNIQUE (order_number),
    CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE RESTRICT,
    CONSTRAINT orders_customer_profile_id_fkey FOREIGN KEY (customer_profile_id)
    REFERENCES customer_profiles (id) ON DELETE SET NULL,
    CONSTRAINT orders_status_check CHECK (
        status IN ('pending', 'paid', 'fulfilled', 'canceled', 'refunded')
    ),
    CONSTRAINT orders_total_check CHECK (total = subtotal + tax_total)
);

CREATE INDEX idx_orders_user_id ON orders (user_id);

CREATE INDEX idx_orders_status ON orders (status);

CREATE INDEX idx_orders_created_at ON orders (created_at);

CREATE TABLE order_items (
    id uuid NOT NULL DEFAULT uuidv7(),
    order_id uuid NOT NULL,
    product_id uuid,
    variant_id uuid,
    description text NOT NULL,
    quantity integer NOT NULL,
    unit_price numeric(12, 2) NOT NULL,
    vat_rate numeric(5, 2) NOT NULL DEFAULT 0,
    options jsonb,
    CONSTRAINT order_items_pkey PRIMARY KEY (id),
    CONSTRAINT order_items_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE,
    CONSTRAINT order_items_product_id_fkey FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE SET NULL,
    CONSTRAINT order_items_variant_id_fkey FOREIGN KEY (variant_id)
    REFERENCES product_variants (id) ON DELETE SET NULL,
    CONSTRAINT order_items_quantity_check CHECK (quantity > 0)
);

CREATE INDEX idx_order_items_order_id ON order_items (order_id);

CREATE INDEX idx_order_items_product_id ON order_items (product_id);

CREATE TABLE fulfillment_tasks (
    id uuid NOT NULL DEFAULT uuidv7(),
    order_item_id uuid NOT NULL,
    status text NOT NULL DEFAULT 'open',
    assigned_to uuid,
    due_at timestamptz,
    completed_at timestamptz,
    notes text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT fulfillment_tasks_pkey PRIMARY KEY (id),
    CONSTRAINT fulfillment_tasks_order_item_id_fkey FOREIGN KEY (order_item_id)
    REFERENCES order_items (id) ON DELETE CASCADE,
    CONSTRAINT fulfillment_tasks_assigned_to_fkey FOREIGN KEY (assigned_to) REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT fulfillment_tasks_status_check CHECK (status IN ('open', 'in_progress', 'done', 'canceled'))
);

CREATE INDEX idx_fulfillment_tasks_order_item_id ON fulfillment_tasks (order_item_id);

CREATE INDEX idx_fulfillment_tasks_assigned_open ON fulfillment_tasks (assigned_to) WHERE status <> 'done';

CREATE TABLE order_events (
    id uuid NOT NULL DEFAULT uuidv7(),
    order_id uuid NOT NULL,
    event_type text NOT NULL,
    data jsonb,
    actor_user_id uuid,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT order_events_pkey PRIMARY KEY (id),
    CONSTRAINT order_events_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE,
    CONSTRAINT order_events_actor_user_id_fkey FOREIGN KEY (actor_user_id) REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX idx_order_events_order_occurred ON order_events (order_id, occurred_at);
