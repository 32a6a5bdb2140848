-- Undoes 0111_template_downloads.
DROP TABLE template_downloads;
