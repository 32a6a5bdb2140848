-- 0113_idx_user_subscriptions_user_id: 004's subscription lookup by user.
-- Built CONCURRENTLY (004 "Indexing Strategy") so writes to user_subscriptions never wait;
-- alone in its file and IF NOT EXISTS, so a rerun after a crash completes.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_user_subscriptions_user_id
ON user_subscriptions (user_id);
