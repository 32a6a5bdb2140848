-- Undoes 0104_usage_metrics.
DROP TABLE usage_metrics;
