-- Undoes 0603_notifications.
DROP TABLE notifications;
