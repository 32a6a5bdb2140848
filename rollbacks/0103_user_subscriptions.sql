-- Undoes 0103_user_subscriptions.
DROP TABLE user_subscriptions;
