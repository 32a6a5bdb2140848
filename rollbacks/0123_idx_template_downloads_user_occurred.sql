-- Undoes 0123_idx_template_downloads_user_occurred.
DROP INDEX CONCURRENTLY IF EXISTS idx_template_downloads_user_occurred;
