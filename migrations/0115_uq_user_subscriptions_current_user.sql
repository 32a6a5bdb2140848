-- 0115_uq_user_subscriptions_current_user: at most one current subscription per user (001 billing is one row per user).
-- Built CONCURRENTLY (004 "Indexing Strategy") so writes to user_subscriptions never wait;
-- alone in its file and IF NOT EXISTS, so a rerun after a crash completes.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_user_subscriptions_current_user
ON user_subscriptions (user_id)
WHERE status IN ('trialing', 'active', 'past_due');
