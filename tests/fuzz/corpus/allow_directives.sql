-- stepwise:lock-timeout 1s
CREATE TABLE t1 (id int);
-- stepwise:allow require-concurrent-index-creation the table is tiny
CREATE INDEX t_idx ON books (title);
-- stepwise:allow dropping-column
ALTER TABLE books DROP COLUMN old;
-- stepwise:allow no-such-rule because
UPDATE books SET x = 1;
-- stepwise:allow
-- stepwise:allow	adding-foreign-key	reviewed by DBA, table has 10 rows
ALTER TABLE books ADD FOREIGN KEY (author_id) REFERENCES authors;
/* stepwise:allow setting-not-null inside a block comment */ ALTER TABLE books ALTER title SET NOT NULL;
SELECT 1; -- stepwise:allow dropping-table trailing on the previous line
DROP TABLE books;
