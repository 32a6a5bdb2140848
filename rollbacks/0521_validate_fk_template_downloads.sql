-- Undoes 0521_validate_fk_template_downloads: the keys go back to NOT VALID, exactly as 0508 left them
-- (PostgreSQL cannot un-validate a constraint in place).
ALTER TABLE template_downloads DROP CONSTRAINT template_downloads_user_id_fkey;

ALTER TABLE template_downloads
ADD CONSTRAINT template_downloads_user_id_fkey
FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
