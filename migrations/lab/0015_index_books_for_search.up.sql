-- stepwise:no-transaction
-- stepwise:lock-timeout 5s
-- The failure drill: this migration fails on purpose, part way. The first
-- index is built; the second names a column that does not exist
-- (boook_id), so the run stops there: exit status 1, the error at its
-- line in this file, the version dirty with one statement done. One way
-- past it: correct the name to book_id, run stepwise resume (it goes on
-- after the statement already done), then stepwise force 0015 to record
-- the corrected file. Another: stepwise force 0015 --unapplied, correct
-- the file, stepwise up (IF NOT EXISTS lets the first index stand).
CREATE INDEX CONCURRENTLY IF NOT EXISTS books_title_lower ON books (lower(title));
CREATE INDEX CONCURRENTLY IF NOT EXISTS order_lines_book ON order_lines (boook_id);
