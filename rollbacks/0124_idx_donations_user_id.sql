-- Undoes 0124_idx_donations_user_id.
DROP INDEX CONCURRENTLY IF EXISTS idx_donations_user_id;
