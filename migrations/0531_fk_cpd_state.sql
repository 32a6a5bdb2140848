-- 0531_fk_cpd_state: the foreign key of cpd_state, added NOT VALID.
-- Serves: 000 `cpd_state` (pk user_id) and 004 phase 5 finalization: the key
-- arrives NOT VALID, so adding it takes only a brief lock and scans nothing;
-- step 0532 validates it without blocking writes.
-- Keys: cpd_state_user_id_fkey, ON DELETE CASCADE: the state is the user's
-- own working document and means nothing without the user.
ALTER TABLE cpd_state
ADD CONSTRAINT cpd_state_user_id_fkey
FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE NOT VALID;
