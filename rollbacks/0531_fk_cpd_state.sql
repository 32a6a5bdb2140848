-- Undoes 0531_fk_cpd_state.
ALTER TABLE cpd_state DROP CONSTRAINT cpd_state_user_id_fkey;
