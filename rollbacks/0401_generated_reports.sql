-- Undoes 0401_generated_reports.
DROP TABLE generated_reports;
