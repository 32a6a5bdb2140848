-- 0603_notifications: messages to a user, by channel.
-- Serves: 002 migration 02 "notification scaffolding" and ERD Notification.
CREATE TABLE notifications (
    id uuid NOT NULL DEFAULT uuidv7(),
    user_id uuid NOT NULL,
    channel text NOT NULL DEFAULT 'in_app',
    notification_type text NOT NULL,
    title text NOT NULL,
    body text,
    data jsonb,
    sent_at timestamptz,
    read_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT notifications_pkey PRIMARY KEY (id),
    CONSTRAINT notifications_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT notifications_channel_check CHECK (channel IN ('in_app', 'email', 'push'))
);

CREATE INDEX idx_notifications_user_created ON notifications (user_id, created_at DESC);

CREATE INDEX idx_notifications_user_unread ON notifications (user_id) WHERE read_at IS NULL;
