-- 0612_service_campaigns: service campaigns for a customer and their activities.
-- Serves: 002 migration 04 "service campaigns, campaign activities".
CREATE TABLE service_campaigns (
    id uuid NOT NULL DEFAULT uuidv7(),
    customer_profile_id uuid NOT NULL,
    product_id uuid,
    name text NOT NULL,
    status text NOT NULL DEFAULT 'planned',
    starts_at timestamptz,
    ends_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT service_campaigns_pkey PRIMARY KEY (id),
    CONSTRAINT service_campaigns_customer_profile_id_fkey FOREIGN KEY (customer_profile_id)
    REFERENCES customer_profiles (id) ON DELETE CASCADE,
    CONSTRAINT service_campaigns_product_id_fkey FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE SET NULL,
    CONSTRAINT service_campaigns_status_check CHECK (status IN ('planned', 'active', 'completed', 'canceled')),
    CONSTRAINT service_campaigns_period_check CHECK (ends_at > starts_at)
);

CREATE INDEX idx_service_campaigns_customer_profile_id ON service_campaigns (customer_profile_id);

CREATE TABLE campaign_activities (
    id uuid NOT NULL DEFAULT uuidv7(),
    campaign_id uuid NOT NULL,
    activity_type text NOT NULL,
    data jsonb,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT campaign_activities_pkey PRIMARY KEY (id),
    CONSTRAINT campaign_activities_campaign_id_fkey FOREIGN KEY (campaign_id)
    REFERENCES service_campaigns (id) ON DELETE CASCADE
);

CREATE INDEX idx_campaign_activities_campaign_occurred ON campaign_activities (campaign_id, occurred_at);
