-- 0123_idx_template_downloads_user_occurred: 000's (user_id, timestamp) index.
-- Built CONCURRENTLY (004 "Indexing Strategy") so writes to template_downloads never wait;
-- alone in its file and IF NOT EXISTS, so a rerun after a crash completes.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_template_downloads_user_occurred
ON template_downloads (user_id, occurred_at);
