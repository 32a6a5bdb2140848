-- Undoes 0508_fk_template_downloads.
ALTER TABLE template_downloads DROP CONSTRAINT template_downloads_user_id_fkey;
