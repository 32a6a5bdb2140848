-- Undoes 0126_cpd_state.
DROP TABLE cpd_state;
