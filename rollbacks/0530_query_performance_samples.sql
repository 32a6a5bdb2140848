-- Undoes 0530_query_performance_samples.
DROP TABLE query_performance_samples;
