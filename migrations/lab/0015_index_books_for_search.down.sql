-- stepwise:no-transaction
-- stepwise:lock-timeout 5s
DROP INDEX CONCURRENTLY IF EXISTS order_lines_book;
DROP INDEX CONCURRENTLY IF EXISTS books_title_lower;
