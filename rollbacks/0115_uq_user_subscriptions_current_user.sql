-- Undoes 0115_uq_user_subscriptions_current_user.
DROP INDEX CONCURRENTLY IF EXISTS uq_user_subscriptions_current_user;
