DROP TABLE IF EXISTS books;
DROP INDEX IF EXISTS books_title_idx;
ALTER TABLE authors DROP COLUMN email;
ALTER TABLE authors RENAME COLUMN full_name TO name;
