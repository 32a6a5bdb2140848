-- Undoes 0008_health_metrics.
DROP TABLE health_metrics;
